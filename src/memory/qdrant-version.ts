/**
 * The oldest Qdrant server the adapter (src/memory/qdrant-store.ts) works against, and why:
 * - 1.17: `update_mode: "insert_only"` on upsert (qdrant/qdrant#7963), which makes the first write
 *   of a record win when two workers write it at once (as SQLite's INSERT OR IGNORE does);
 * - 1.10: the Query API (`POST /collections/{name}/points/query`) recall uses;
 * - 1.8: `GET /collections/{name}/exists`, which open uses.
 * The pinned client, @qdrant/js-client-rest 1.18, is tested by Qdrant against servers up to three
 * minor versions older, so 1.17 is inside its range.
 */
export const MIN_QDRANT_VERSION = '1.17.0';

/** Whether a server version (`GET /` answers `{ "version": "1.17.2" }`) is at least `min`. */
export function qdrantVersionAtLeast(version: string, min: string = MIN_QDRANT_VERSION): boolean {
  const parse = (v: string) => v.replace(/^v/, '').split(/[.-]/).slice(0, 3).map((n) => Number.parseInt(n, 10));
  const [a, b] = [parse(version), parse(min)];
  if (a.some((n) => Number.isNaN(n)) || a.length < 2) return false;
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}
