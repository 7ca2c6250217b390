import { MIN_QDRANT_VERSION, qdrantVersionAtLeast } from '../../src/memory/qdrant-version';

describe('minimum Qdrant version', () => {
  it('accepts the minimum and newer servers, refuses older or unreadable versions', () => {
    expect(qdrantVersionAtLeast(MIN_QDRANT_VERSION)).toBe(true);
    expect(qdrantVersionAtLeast('1.17.1')).toBe(true);
    expect(qdrantVersionAtLeast('v1.18.0')).toBe(true);
    expect(qdrantVersionAtLeast('2.0.0')).toBe(true);
    expect(qdrantVersionAtLeast('1.16.3')).toBe(false);
    expect(qdrantVersionAtLeast('1.9.7')).toBe(false);
    expect(qdrantVersionAtLeast('dev')).toBe(false);
  });
});
