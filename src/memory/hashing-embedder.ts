/**
 * An offline, deterministic embedder: feature hashing of word unigrams and bigrams into a fixed
 * number of buckets with a signed hash, then L2-normalised. It needs no model and no network, so
 * memory works on any machine and in tests; texts that share words (after light stemming) score
 * higher under cosine similarity than texts that do not. It knows no synonyms.
 */
import type { Embedder } from './types';

// Words that carry no topic; without removing them every English sentence looks alike.
const STOPWORDS = new Set(
  ('a an and are as at be been by can could do does for from had has have how i if in into is it its ' +
    'me my of on or our should so than that the their them then there these this those to was we were ' +
    'what when where which while who will with would you your').split(' '),
);

// Bigrams add word order but share buckets with unigrams; half weight keeps topic words dominant.
const BIGRAM_WEIGHT = 0.5;

/** FNV-1a over UTF-16 code units, then murmur3's finaliser so low and high bits both mix well. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Crude suffix stripping so "failed"/"failing"/"fails" and "scrape"/"scraping" meet; a final "e"
 * goes too, since "-ing"/"-ed" remove it. The stem must keep 3+ letters.
 */
function stem(word: string): string {
  for (const suffix of ['ing', 'ed', 'es', 's', 'ly', 'e']) {
    if (word.length - suffix.length >= 3 && word.endsWith(suffix)) {
      if (suffix === 's' && word.endsWith('ss')) return word; // "class", "access"
      return word.slice(0, -suffix.length);
    }
  }
  return word;
}

/** Lowercase, strip accents and punctuation, drop stopwords, stem. */
export function tokenize(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0 && !STOPWORDS.has(w))
    .map(stem);
}

export class HashingEmbedder implements Embedder {
  readonly dimensions: number;
  /** Bump the version when tokenisation or hashing changes: stored vectors would no longer match. */
  readonly name = 'hashing-fnv1a-uni-bi-v1';

  constructor(options: { dimensions?: number } = {}) {
    const dimensions = options.dimensions ?? 384;
    if (!Number.isInteger(dimensions) || dimensions < 8) {
      throw new RangeError(`dimensions must be an integer >= 8, got ${dimensions}`);
    }
    this.dimensions = dimensions;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }

  /** Synchronous core, exposed for callers that have no reason to await. */
  embedOne(text: string): Float32Array {
    const v = new Float32Array(this.dimensions);
    const words = tokenize(text);
    const add = (feature: string, weight: number): void => {
      const h = hash32(feature);
      // Bit 0 picks the sign (so colliding features tend to cancel rather than pile up); the other
      // 31 bits pick the bucket, keeping sign and bucket independent.
      v[(h >>> 1) % this.dimensions] += h & 1 ? -weight : weight;
    };
    for (let i = 0; i < words.length; i++) {
      add(words[i], 1);
      if (i > 0) add(`${words[i - 1]} ${words[i]}`, BIGRAM_WEIGHT);
    }
    let sum = 0;
    for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
    if (sum > 0) {
      const inv = 1 / Math.sqrt(sum);
      for (let i = 0; i < v.length; i++) v[i] *= inv;
    }
    return v;
  }
}
