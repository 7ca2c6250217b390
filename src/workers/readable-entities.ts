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
 * run's start input is the test: one history event, read without a worker.
 */
export async function checkEntitiesReadable(client: Client, entities: readonly Entity[]): Promise<void> {
  for (const { workflowId, name } of entities) {
    let runId: string;
    try {
      const description = await client.workflow.getHandle(workflowId).describe();
      if (description.status.name !== 'RUNNING') continue;
      runId = description.runId;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) continue;
      throw err;
    }
    try {
      await runStartInput(client, workflowId, runId);
    } catch (err) {
      if (!isUnreadablePayload(err)) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw PantheonError.of(
        'config_invalid',
        `${name} (workflow ${workflowId}) runs with payloads this process cannot read (${message}): list the key that wrote them in PANTHEON_CODEC_KEYS or PANTHEON_CODEC_KEY_FILE ` +
          `(every listed key decrypts; the last one encrypts) and keep it until no running workflow was written with it`,
        { details: { workflowId } },
      );
    }
  }
}
