import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { runStartInput } from '../client/decode-payloads';
import { isUnreadablePayload } from '../codec/unreadable';
import { PantheonError } from '../errors';

/** A long-lived workflow every worker serves: the budget ledger, God. */
export interface Entity {
  workflowId: string;
  /** How the error names it: "the budget ledger", "God". */
  name: string;
}

/**
 * Refuses to start a worker that cannot read the running ledger's or God's payloads: encrypted with
 * a key this process does not list (the key dropped from PANTHEON_CODEC_KEYS too early, or no keys
 * at all). Started anyway, it fails every workflow task of theirs it picks up, and every task's LLM
 * call fails after its retries on every specialist as an unexplained update failure. Their current
 * run's memo (decoded by describe; a memo is carried unchanged through continue-as-new, under the key that wrote it)
 * and start input are the test: read without a worker.
 */
export async function checkEntitiesReadable(client: Client, entities: readonly Entity[]): Promise<void> {
  for (const entity of entities) {
    let runId: string;
    try {
      const description = await client.workflow.getHandle(entity.workflowId).describe();
      if (description.status.name !== 'RUNNING') continue;
      runId = description.runId;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) continue;
      throw unreadable(entity, err) ?? err;
    }
    try {
      await runStartInput(client, entity.workflowId, runId);
    } catch (err) {
      throw unreadable(entity, err) ?? err;
    }
  }
}

function unreadable({ workflowId, name }: Entity, err: unknown): PantheonError | undefined {
  if (!isUnreadablePayload(err)) return undefined;
  const message = err instanceof Error ? err.message : String(err);
  return PantheonError.of(
    'config_invalid',
    `${name} (workflow ${workflowId}) runs with payloads this process cannot read (${message}): list the key that wrote them in PANTHEON_CODEC_KEYS or PANTHEON_CODEC_KEY_FILE ` +
      `(every listed key decrypts; the last one encrypts) and keep it until no running workflow was written with it`,
    { details: { workflowId } },
  );
}
