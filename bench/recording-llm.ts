import type { ChatRequest, ChatResult, LlmClient } from '../src/llm/types';

/**
 * Wraps an LlmClient and records every request with its client-side duration (SDK + HTTP + the
 * provider's latency), grouped by task id. The pipeline's worker uses it so the lower bound can
 * replay exactly the calls the pipeline made; the wrapper itself costs two clock reads and a push.
 */

export interface RecordedCall {
  request: ChatRequest;
  /** Client-side wall time of the call. */
  ms: number;
  ok: boolean;
}

export interface RecordingLlmClient extends LlmClient {
  /** Calls of one task, in the order they were made (a task's calls are sequential). */
  callsOf(taskId: string): RecordedCall[];
  reset(): void;
}

export function recordingLlmClient(inner: LlmClient): RecordingLlmClient {
  let byTask = new Map<string, RecordedCall[]>();
  return {
    async complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
      const started = performance.now();
      const key = request.taskId ?? '';
      const list = byTask.get(key) ?? [];
      byTask.set(key, list);
      try {
        const answer = await inner.complete(request, signal);
        list.push({ request, ms: performance.now() - started, ok: true });
        return answer;
      } catch (err) {
        list.push({ request, ms: performance.now() - started, ok: false });
        throw err;
      }
    },
    callsOf: (taskId) => [...(byTask.get(taskId) ?? [])],
    reset: () => {
      byTask = new Map();
    },
  };
}
