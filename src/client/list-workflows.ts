import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';

/**
 * The workflows a visibility query finds, as `client.workflow.list` gives them but without their
 * memos. The task lists need only search attributes, which stay plaintext with PANTHEON_CODEC_KEYS;
 * the SDK decodes every memo as it lists, so one task God started (its decision rides in the
 * task's memo, encrypted) failed the whole list for a CLI without the keys.
 */
export async function* listWithoutMemos(client: Client, query: string, pageSize: number): AsyncGenerator<WorkflowExecutionInfo> {
  const { namespace } = client.options;
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.listWorkflowExecutions({ namespace, query, pageSize, nextPageToken });
    for (const raw of page.executions) {
      // Cleared on the message itself: a copy would lose the defaults protobuf keeps on its prototype.
      raw.memo = null;
      yield await executionInfoFromRaw(raw, client.workflow.options.loadedDataConverter, raw, namespace);
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
}
