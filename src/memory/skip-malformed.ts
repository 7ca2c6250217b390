import { PantheonError } from '../errors';

/** Hears of a stored record or lesson a recall left out because Pantheon does not write its shape. */
export type MalformedSink = (problem: PantheonError) => void;

/**
 * Decodes recalled items, leaving out (and reporting to `onMalformed`) each one in a shape Pantheon
 * does not write (`store_corrupt`), so that one bad record in a shared store does not cost every
 * task that recalls near it all of its memory. Without a sink the first such item throws, as every
 * other read does (a reader such as `pantheon history` is told, not served less).
 *
 * @example
 *   decodeRecalled(rows, (r) => this.decode(r), this.onMalformed)
 */
export function decodeRecalled<T, R>(items: readonly T[], decode: (item: T) => R, onMalformed?: MalformedSink): R[] {
  const out: R[] = [];
  for (const item of items) {
    try {
      out.push(decode(item));
    } catch (err) {
      if (!onMalformed || !(err instanceof PantheonError) || err.type !== 'store_corrupt') throw err;
      onMalformed(err);
    }
  }
  return out;
}
