/**
 * A signal of one call's own, aborted when the run's signal is, and unlinked from it once the
 * call ends. The SDKs add an abort listener to the signal they are given and never remove it: given
 * the activity's own signal, a specialist run of N calls held N listeners until the activity ended
 * (Node warns from 11: MaxListenersExceededWarning).
 *
 * @example
 *   const call = callSignal(signal);
 *   try { await client.chat.completions.create(body, { signal: call.signal }); } finally { call.done(); }
 */
export function callSignal(parent: AbortSignal | undefined): { signal: AbortSignal | undefined; done(): void } {
  if (!parent) return { signal: undefined, done: () => undefined };
  const own = new AbortController();
  if (parent.aborted) {
    own.abort(parent.reason);
    return { signal: own.signal, done: () => undefined };
  }
  const abort = () => own.abort(parent.reason);
  parent.addEventListener('abort', abort, { once: true });
  return { signal: own.signal, done: () => parent.removeEventListener('abort', abort) };
}
