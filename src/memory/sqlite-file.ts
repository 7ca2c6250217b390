/**
 * What an embedded memory file is, for everything that opens one: whether it is a Pantheon memory
 * store at all, whether a reader that must not migrate it can read it as it is, and what the
 * SQLite driver's failures on it mean.
 *
 * @example
 *   const db = new Database(file, { readonly: true, fileMustExist: true });
 *   refuseUnreadable(db, file, { asIs: true }); // another program's database: config_invalid naming PANTHEON_MEMORY_FILE
 */
import type Database from 'better-sqlite3';
import { PantheonError, isPantheonError } from '../errors';

/** The setting every embedded memory file comes from; errors about the file name it. */
const VARIABLE = 'PANTHEON_MEMORY_FILE';

/** The tables without which a file is not a memory store (another program's database, an empty file). */
const STORE_TABLES = ['memory_meta', 'memories'] as const;

/**
 * What a reader that must not migrate needs beyond them: the index reads `offline`, a hybrid
 * recall the FTS table. The later outcome columns may be missing: their facts read as absent,
 * as for records written before they existed.
 */
const READ_TABLES = ['memories_fts'] as const;
const READ_COLUMNS = ['offline'] as const;

export type MemoryFileGap = { kind: 'not_a_store' | 'older'; missing: string[] };

/**
 * What a file with these tables (and these `memories` columns) lacks: `not_a_store` when it has
 * no memory tables, `older` when a worker's migration would add what a reader needs. Pure.
 *
 * @example memoryFileGap(new Set(['t']), new Set()) // { kind: 'not_a_store', missing: ['memory_meta', 'memories'] }
 */
export function memoryFileGap(tables: ReadonlySet<string>, memoryColumns: ReadonlySet<string>): MemoryFileGap | undefined {
  const noStore = STORE_TABLES.filter((t) => !tables.has(t));
  if (noStore.length > 0) return { kind: 'not_a_store', missing: noStore };
  const older = [...READ_TABLES.filter((t) => !tables.has(t)), ...READ_COLUMNS.filter((c) => !memoryColumns.has(c)).map((c) => `memories.${c}`)];
  return older.length > 0 ? { kind: 'older', missing: older } : undefined;
}

/** The file's own tables (not SQLite's internal ones). */
function tableNames(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
}

/**
 * Refuses a file that is not a memory store; with `asIs`, also one a worker must migrate before
 * it can be read without writing to it (`pantheon history` opens the file read-only). Only reads.
 */
export function refuseUnreadable(db: Database.Database, file: string, { asIs }: { asIs: boolean }): void {
  const tables = new Set(tableNames(db));
  const columns = new Set((db.prepare('PRAGMA table_info(memories)').all() as { name: string }[]).map((r) => r.name));
  const gap = memoryFileGap(tables, columns);
  if (!gap || (gap.kind === 'older' && !asIs)) return;
  const message =
    gap.kind === 'not_a_store'
      ? `${file} is not a Pantheon memory store (it has no ${gap.missing.join(' or ')} table); point ${VARIABLE} at the file the workers use`
      : `memory store ${file} is of an older layout (no ${gap.missing.join(', ')}); a worker migrates it when it next starts (npm run worker), then run this again`;
  throw PantheonError.of('config_invalid', `environment variable ${VARIABLE}: ${message}`, { details: { variable: VARIABLE, file, gap: gap.kind, missing: gap.missing } });
}

/**
 * Refuses to make a memory store of another program's database: a file with tables of its own and
 * none of the store's (PANTHEON_MEMORY_FILE pointed at the wrong file). A new file, or an empty
 * database, becomes a store; before, the worker added its tables to any database it was given.
 */
export function refuseForeignDatabase(db: Database.Database, file: string): void {
  const tables = tableNames(db);
  if (tables.length === 0 || tables.some((t) => (STORE_TABLES as readonly string[]).includes(t))) return;
  const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', …' : '');
  throw PantheonError.of(
    'config_invalid',
    `environment variable ${VARIABLE}: ${file} is another program's database (tables ${shown}), not a Pantheon memory store; point ${VARIABLE} at the store's file, or at a new one`,
    { details: { variable: VARIABLE, file, tables } },
  );
}

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

/** Whether an error came from the SQLite driver (its code names a SQLite result), not from Pantheon or a bug. */
export function isSqliteError(err: unknown): boolean {
  return codeOf(err)?.startsWith('SQLITE_') ?? false;
}
