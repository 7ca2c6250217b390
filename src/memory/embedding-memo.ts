import { PantheonError } from '../errors';
import type { Embedder } from './types';

/** Texts whose vectors a worker keeps: a few bursts of tasks' objectives (a vector is 1–6 KB). */
export const EMBEDDING_MEMO_ENTRIES = 256;

/**
 * An embedder that remembers its recent vectors (least recently used out first).
 *
 * Why: routing one task asks memory four times for the same objective (its prompt lines twice,
 * its lessons, its similar past tasks), and with the OpenAI embedder each ask was an API call,
 * paid through the budget ledger. One model gives one text one vector, so repeats are answered
 * from here, and asks for a text whose call is under way wait for that call.
 *
 * A failed call is not remembered. Whoever asked for a text while another caller's call for it was
 * under way, and that call failed (that caller's budget, say), asks again with a call of its own:
 * a failure is never handed to a caller it does not belong to. Callers get copies: a vector one of
 * them changes is not the next one's.
 */
export function withEmbeddingMemo(inner: Embedder, capacity = EMBEDDING_MEMO_ENTRIES): Embedder {
  const memo = new Map<string, Promise<Float32Array>>();
  const remember = (text: string, vector: Promise<Float32Array>) => {
    memo.delete(text);
    memo.set(text, vector);
    if (memo.size > capacity) memo.delete(memo.keys().next().value as string);
  };
  /** One call of the inner embedder for `texts`, each text's vector remembered as it comes. */
  const embedOwn = (texts: string[]): Map<string, Promise<Float32Array>> => {
    const own = new Map<string, Promise<Float32Array>>();
    if (texts.length === 0) return own;
    const batch = inner.embed(texts);
    texts.forEach((text, i) => {
      const one = batch.then((vectors) => {
        if (vectors.length !== texts.length) throw PantheonError.of('malformed_response', `embedder ${inner.name} returned ${vectors.length} vectors for ${texts.length} texts`);
        return vectors[i];
      });
      // Failures are not remembered (and this handler keeps them from going unhandled here).
      one.catch(() => memo.get(text) === one && memo.delete(text));
      own.set(text, one);
      remember(text, one);
    });
    return own;
  };

  return {
    dimensions: inner.dimensions,
    name: inner.name,
    async embed(texts: string[]): Promise<Float32Array[]> {
      const unique = [...new Set(texts)];
      // Taken before this call adds any: a long batch of its own may push them out of the memo.
      const known = new Map(unique.flatMap((t) => (memo.has(t) ? [[t, memo.get(t)!] as const] : [])));
      for (const [text, vector] of known) remember(text, vector);
      const own = embedOwn(unique.filter((t) => !known.has(t)));
      const vectors = new Map<string, Float32Array>();
      await Promise.all([
        ...[...own].map(async ([text, vector]) => vectors.set(text, await vector)),
        ...[...known].map(async ([text, vector]) => {
          try {
            vectors.set(text, await vector);
          } catch {
            // Another caller's call failed: this caller asks on its own account.
            vectors.set(text, await embedOwn([text]).get(text)!);
          }
        }),
      ]);
      return texts.map((t) => new Float32Array(vectors.get(t)!));
    },
  };
}
