import { choose } from './prng';
import { capitalise, unitsOf, type Voice } from './voice';
import { clip, keywords } from './words';

/** DatabaseAgent: answers in SQL with the schema reasoning behind it. */

// Words that describe the change rather than name the data, so they never become identifiers.
const SQL_VOCABULARY = new Set([
  'add', 'alter', 'build', 'column', 'columns', 'constraint', 'create', 'database', 'define', 'design',
  'drop', 'field', 'fields', 'foreign', 'index', 'indexes', 'indices', 'key', 'keys', 'migrate',
  'migration', 'model', 'primary', 'rename', 'schema', 'store', 'table', 'tables', 'unique', 'write',
]);

interface Names {
  table: string;
  columns: string[];
}

function namesIn(item: string): Names {
  const words = keywords(item).filter((w) => !SQL_VOCABULARY.has(w) && /^[a-z]/.test(w));
  const columns = words.slice(1, 3);
  return { table: words[0] ?? 'records', columns: columns.length > 0 ? columns : ['name'] };
}

export function sqlFor(item: string): string {
  const { table, columns } = namesIn(item);
  const column = columns[0];
  if (isIndex(item)) return `CREATE INDEX idx_${table}_${column} ON ${table} (${column});`;
  if (isAlter(item)) return `ALTER TABLE ${table} ADD COLUMN ${column} TEXT;`;
  const defs = columns.map((c) => `${c} TEXT NOT NULL`).join(', ');
  return `CREATE TABLE ${table} (id BIGSERIAL PRIMARY KEY, ${defs});`;
}

const isIndex = (item: string): boolean => /\bindex/i.test(item);
const isAlter = (item: string): boolean => /\b(alter|add column|rename|drop|migrat)/i.test(item);

/** A few words saying what changed, so a compressed history still reads as schema work. */
function actionFor(item: string): string {
  const { table, columns } = namesIn(item);
  if (isIndex(item)) return `indexed ${table}.${columns[0]}`;
  if (isAlter(item)) return `altered ${table}`;
  return `created table ${table}`;
}

function reasoning(item: string): string {
  const { table, columns } = namesIn(item);
  return choose(
    [
      `A separate ${table} relation stores ${columns[0]} once, so updates cannot drift.`,
      `Queries filter on ${columns[0]}, so it gets an index to avoid a sequential scan.`,
      `The change is additive, so it runs online without rewriting ${table} rows.`,
    ],
    item,
  );
}

// Tables first, then changes to them, then indexes, so the migration applies in one pass.
function order(sql: string): number {
  if (sql.startsWith('CREATE TABLE')) return 0;
  if (sql.startsWith('ALTER TABLE')) return 1;
  return 2;
}

export const databaseVoice: Voice = {
  note: ({ step, total, item }) =>
    `Step ${step} of ${total}: ${actionFor(item)} for ${clip(item, 50)}. ${reasoning(item)} SQL: ${sqlFor(item)}`,
  finalNote: (outline, total) =>
    `Step ${total} of ${total}: consolidated ${unitsOf(outline).length} schema change(s) into one migration, ` +
    'ordered so tables exist before the changes and indexes that use them; it applies cleanly to an empty database.',
  result: (outline) => {
    const statements = unitsOf(outline)
      .map(sqlFor)
      .map((sql, i) => ({ sql, i }))
      .sort((a, b) => order(a.sql) - order(b.sql) || a.i - b.i)
      .map((s) => s.sql);
    return [`-- Migration: ${capitalise(clip(outline.title, 80))}`, 'BEGIN;', ...statements, 'COMMIT;'].join('\n');
  },
};
