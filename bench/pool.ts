/**
 * A promise pool: runs `fn` over `items` with at most `concurrency` calls in flight, results in
 * input order. On the first failure it stops starting new items, lets the ones in flight settle
 * (so nothing is left running behind the caller's back), then rejects with that first failure.
 */
export async function runPool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
  options: { signal?: AbortSignal } = {},
): Promise<R[]> {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be a positive integer, got ${concurrency}`);
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let firstError: unknown;

  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      if (options.signal?.aborted) {
        failed = true;
        firstError ??= options.signal.reason ?? new Error('aborted');
        return;
      }
      const index = next++;
      try {
        results[index] = await fn(items[index], index);
      } catch (err) {
        if (!failed) {
          failed = true;
          firstError = err;
        }
      }
    }
  };

  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  if (failed) throw firstError;
  return results;
}
