/**
 * What an embedded memory file is, for everything that opens one: what the SQLite driver's
 * failures on it mean.
 *
 * @example
 *   try { db.prepare('SELECT 1 FROM memories').get(); } catch (err) { throw storeError('read', file, err); }
 */
import { PantheonError, isPantheonError } from '../errors';

/** The setting every embedded memory file comes from; errors about the file name it. */
const VARIABLE = 'PANTHEON_MEMORY_FILE';

/** Driver codes of a file that is not a SQLite database, or a damaged one: no wait cures them. */
const BROKEN_FILE = /^SQLITE_(NOTADB|CORRUPT)/;

/**
 * Turns driver errors into the taxonomy; ours pass through. A file that is not a database or is
 * damaged is `store_corrupt` (exit 1, naming the setting); busy, locked, disk full and the rest are
 * `store_unavailable`, which a later try may cure.
 */
export function storeError(action: string, file: string, err: unknown): PantheonError {
  if (isPantheonError(err)) return err;
  const code = codeOf(err);
  const cause = String((err as Error)?.message ?? err);
  if (isBrokenFile(err)) {
    return PantheonError.of(
      'store_corrupt',
      `memory store ${file} (${VARIABLE}): ${action} failed: ${cause}: it is not a SQLite database, or a damaged one; point ${VARIABLE} at the store's file, or restore it from a backup`,
      { details: { file, code, variable: VARIABLE }, cause: err },
    );
  }
  return PantheonError.of('store_unavailable', `memory store ${file}: ${action} failed: ${cause}`, { details: { file, code }, cause: err });
}

/** Whether the driver found the file not a database, or damaged. */
export function isBrokenFile(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && BROKEN_FILE.test(code);
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}
