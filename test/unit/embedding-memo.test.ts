import { PantheonError } from '../../src/errors';
import { withEmbeddingMemo } from '../../src/memory/embedding-memo';
import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import type { Embedder } from '../../src/memory/types';

/** The real hashing embedder, with every call it gets written down; `failNext` makes calls fail. */
function recorded(): Embedder & { calls: string[][]; failNext: number } {
  const real = new HashingEmbedder();
  const shim = {
    calls: [] as string[][],
    failNext: 0,
    dimensions: real.dimensions,
    name: real.name,
    async embed(texts: string[]) {
      shim.calls.push(texts);
      // A turn of the event loop, as a network call would take: callers can overlap.
      await new Promise((r) => setImmediate(r));
      if (shim.failNext > 0) {
        shim.failNext--;
        throw PantheonError.of('budget_exceeded', 'the caller\'s task is over its limit');
      }
      return real.embed(texts);
    },
  };
  return shim;
}

const A = 'Add a composite index on orders (customer_id, created_at)';
const B = 'Summarise the Raft paper for the on-call runbook';

describe('embedding memo', () => {
  it('answers a repeated text without a call, with the vector the embedder gave', async () => {
    const inner = recorded();
    const memo = withEmbeddingMemo(inner);
    const [first] = await memo.embed([A]);
    const [again] = await memo.embed([A]);
    expect(inner.calls).toEqual([[A]]);
    expect(Array.from(again)).toEqual(Array.from((await new HashingEmbedder().embed([A]))[0]));
    expect(Array.from(again)).toEqual(Array.from(first));
    expect(memo.name).toBe(inner.name);
    expect(memo.dimensions).toBe(inner.dimensions);
  });

  it('lets concurrent asks for a text share the call under way, and embeds only the new texts of a batch', async () => {
    const inner = recorded();
    const memo = withEmbeddingMemo(inner);
    const answers = await Promise.all([memo.embed([A]), memo.embed([A]), memo.embed([A, B, A])]);
    expect(inner.calls).toEqual([[A], [B]]);
    expect(answers[2]).toHaveLength(3);
    expect(Array.from(answers[2][0])).toEqual(Array.from(answers[2][2]));
    expect(Array.from(answers[2][1])).not.toEqual(Array.from(answers[2][0]));
  });

  it('does not remember a failure, and never hands one caller\'s failure to another', async () => {
    const inner = recorded();
    const memo = withEmbeddingMemo(inner);
    inner.failNext = 1;
    // The first caller's call fails; the second asked while it was under way and gets its vector
    // through a call of its own.
    const [mine, theirs] = await Promise.allSettled([memo.embed([A]), memo.embed([A])]);
    expect(mine.status).toBe('rejected');
    expect(((mine as PromiseRejectedResult).reason as PantheonError).type).toBe('budget_exceeded');
    expect(theirs.status).toBe('fulfilled');
    expect(inner.calls).toEqual([[A], [A]]);
    // Remembered from the call that worked; the failure was not.
    await memo.embed([A]);
    expect(inner.calls).toHaveLength(2);
  });

  it('keeps at most its capacity, the least recently used out first', async () => {
    const inner = recorded();
    const memo = withEmbeddingMemo(inner, 2);
    await memo.embed([A]);
    await memo.embed([B]);
    await memo.embed([A]); // A is now the most recent
    await memo.embed(['a third text pushes the least recent out']);
    expect(inner.calls).toHaveLength(3);
    await memo.embed([A]);
    expect(inner.calls).toHaveLength(3);
    await memo.embed([B]);
    expect(inner.calls).toHaveLength(4);
  });

  it('hands every caller a copy: changing one vector does not change the next answer', async () => {
    const memo = withEmbeddingMemo(recorded());
    const [v] = await memo.embed([A]);
    const before = Array.from(v);
    v.fill(0);
    expect(Array.from((await memo.embed([A]))[0])).toEqual(before);
  });
});
