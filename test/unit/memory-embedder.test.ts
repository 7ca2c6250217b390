import { HashingEmbedder, tokenize } from '../../src/memory/hashing-embedder';
import { blobToVector, cosine, norm, vectorToBlob } from '../../src/memory/vector';

describe('HashingEmbedder', () => {
  const embedder = new HashingEmbedder();

  it('has 384 dimensions by default and a stable name', () => {
    expect(embedder.dimensions).toBe(384);
    expect(embedder.name).toBe('hashing-fnv1a-uni-bi-v1');
    expect(new HashingEmbedder({ dimensions: 64 }).dimensions).toBe(64);
    expect(() => new HashingEmbedder({ dimensions: 0 })).toThrow(RangeError);
  });

  it('is deterministic across calls and instances', async () => {
    const text = 'Deploy the billing service to staging';
    const [a] = await embedder.embed([text]);
    const [b] = await new HashingEmbedder().embed([text]);
    expect(a).toHaveLength(384);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('returns one unit-length vector per text, and a zero vector for a text with no words', async () => {
    const vs = await embedder.embed(['Fix the flaky login test', '', 'the of and']);
    expect(vs).toHaveLength(3);
    expect(norm(vs[0])).toBeCloseTo(1, 5);
    expect(norm(vs[1])).toBe(0);
    expect(norm(vs[2])).toBe(0); // stopwords only
  });

  it('normalises case, punctuation, accents and simple suffixes', () => {
    expect(tokenize('Failed, FAILING; fails! Café')).toEqual(['fail', 'fail', 'fail', 'caf']);
    expect(cosine(embedder.embedOne('Scraping the prices!'), embedder.embedOne('scrape prices'))).toBeCloseTo(1, 5);
  });

  it('scores similar tasks clearly above unrelated ones', () => {
    const query = embedder.embedOne('Scrape product prices from the Acme online shop');
    const similar = cosine(query, embedder.embedOne('Scraping prices of products from an online shop'));
    const unrelated = [
      'Write a haiku about autumn leaves',
      'Summarise the quarterly financial report for the board',
      'Fix the failing unit tests in the payment service',
      'Translate the user manual into German',
    ].map((t) => cosine(query, embedder.embedOne(t)));
    expect(similar).toBeGreaterThan(0.35);
    for (const score of unrelated) expect(score).toBeLessThan(similar - 0.25);
  });

  it('uses word order through bigrams', () => {
    const a = embedder.embedOne('dog bites man');
    const b = embedder.embedOne('man bites dog');
    expect(cosine(a, b)).toBeLessThan(0.99);
    expect(cosine(a, b)).toBeGreaterThan(0.5);
  });
});

describe('vector helpers', () => {
  it('computes the true cosine of unnormalised vectors', () => {
    expect(cosine([3, 0], [10, 0])).toBeCloseTo(1, 10);
    expect(cosine([1, 1], [1, 0])).toBeCloseTo(Math.SQRT1_2, 10);
    expect(cosine([1, 0], [-2, 0])).toBeCloseTo(-1, 10);
    expect(cosine([0, 0], [1, 0])).toBe(0);
    expect(() => cosine([1], [1, 2])).toThrow(RangeError);
  });

  it('round-trips vectors through little-endian blobs', () => {
    const v = new Float32Array([0.5, -1.25, 3e-8, 0]);
    const blob = vectorToBlob(v);
    expect(blob).toHaveLength(16);
    expect(blob.readFloatLE(4)).toBe(-1.25);
    expect(Array.from(blobToVector(blob))).toEqual(Array.from(v));
  });
});
