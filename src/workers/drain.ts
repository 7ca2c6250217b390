/**
 * Whether this worker process was asked to stop (SIGTERM, Ctrl-C) and drains: set by the stop
 * handler before the task worker's shutdown, read by activities that can stop at a safe point
 * (a specialist run between calls) instead of working on until the drain's end cuts them.
 */
export interface Drain {
  requested(): boolean;
  request(): void;
}

export function createDrain(): Drain {
  let requested = false;
  return {
    requested: () => requested,
    request: () => {
      requested = true;
    },
  };
}
