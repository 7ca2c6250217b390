import type { Client } from '@temporalio/client';
import { stripControl } from '../tasks/control-chars';

/** Who asked a task's workflow to cancel, and why, as its history recorded the request. */
export interface CancelRequest {
  /** The requester's identity, e.g. `temporal-cli:alice@host` or a worker's. */
  by?: string;
  /** The reason given (`temporal workflow cancel --reason`, the Web UI's field), if any. */
  reason?: string;
}

/** The request sits near a history's end: the workflow records it, then finishes its own steps. */
const PAGE_SIZE = 100;
const MAX_PAGES = 5;

/**
 * The cancel request of a closed run. The workflow only learns that it was cancelled (the SDK passes
 * no reason into it), so the requester and the reason are read back from the history here, newest
 * events first. Undefined when the run holds no request (or none within its last 500 events).
 */
export async function cancelRequestOf(client: Client, workflowId: string, runId: string): Promise<CancelRequest | undefined> {
  let nextPageToken: Uint8Array | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await client.workflowService.getWorkflowExecutionHistoryReverse({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      maximumPageSize: PAGE_SIZE,
      nextPageToken,
    });
    for (const event of answer.history?.events ?? []) {
      const request = event.workflowExecutionCancelRequestedEventAttributes;
      if (!request) continue;
      return { by: historyText(request.identity), reason: historyText(request.cause) };
    }
    if (!answer.nextPageToken?.length) return undefined;
    nextPageToken = answer.nextPageToken;
  }
  return undefined;
}

/** Free text from a history event (an identity, a reason: anyone's input) as one terminal-safe line; undefined when blank. */
export function historyText(text: string | null | undefined): string | undefined {
  return text ? stripControl(text).replace(/\s+/g, ' ').trim() || undefined : undefined;
}

/** What was done, by whom and why: `requested by temporal-cli:alice@host: "maintenance window"`. */
export function requestLine(done: string, request: CancelRequest): string {
  return `${done}${request.by ? ` by ${request.by}` : ''}${request.reason ? `: "${request.reason}"` : ' (no reason given)'}`;
}

/** The status line for a cancel request: `requested by temporal-cli:alice@host: "maintenance window"`. */
export function cancelRequestLine(request: CancelRequest): string {
  return requestLine('requested', request);
}
