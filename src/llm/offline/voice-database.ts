import { choose } from './prng';
import { capitalise, unitsOf, type Voice } from './voice';
import { clip, keywords } from './words';

/** DatabaseAgent: answers in SQL with the schema reasoning behind it. */

// Words that describe the change or the engine rather than name the data, so they never become
// identifiers.
const SQL_VOCABULARY = new Set([
  'add', 'alter', 'build', 'column', 'columns', 'constraint', 'create', 'database', 'define', 'design',
  'drop', 'field', 'fields', 'foreign', 'index', 'indexes', 'indices', 'key', 'keys', 'migrate',
  'migration', 'model', 'mysql', 'postgres', 'postgresql', 'primary', 'rename', 'schema', 'sqlite',
  'store', 'table', 'tables', 'unique', 'write',
]);

type Change = 'table' | 'alter' | 'index';

function identifiers(text: string): string[] {
  return keywords(text).filter((w) => !SQL_VOCABULARY.has(w) && /^[a-z]/.test(w));
}

function changeIn(text: string): Change | undefined {
  if (/\bindex/i.test(text)) return 'index';
  if (/\b(alter|add column|rename|drop|migrat)/i.test(text)) return 'alter';
  if (/\b(create|new table)/i.test(text)) return 'table';
  return undefined;
}

interface Plan {
  change: Change;
  table: string;
  columns: string[];
}

/** An item's own words decide; a bare item ("- users") takes its intent from the task title. */
function planFor(item: string, title: string): Plan {
  const own = identifiers(item);
  const change = changeIn(item) ?? changeIn(title) ?? 'table';
  const table = own[0] ?? 'records';
  const columns = own.slice(1, 3);
  if (columns.length === 0) columns.push(identifiers(title).find((w) => w !== table) ?? 'name');
  return { change, table, columns };
}

export function sqlFor(item: string, title = ''): string {
  const { change, table, columns } = planFor(item, title);
  const column = columns[0];
  if (change === 'index') return `CREATE INDEX idx_${table}_${column} ON ${table} (${column});`;
  if (change === 'alter') return `ALTER TABLE ${table} ADD COLUMN ${column} TEXT;`;
  const defs = columns.map((c) => `${c} TEXT NOT NULL`).join(', ');
  return `CREATE TABLE ${table} (id BIGSERIAL PRIMARY KEY, ${defs});`;
}

/** A few words saying what changed, so a compressed history still reads as schema work. */
function actionFor(item: string, title: string): string {
  const { change, table, columns } = planFor(item, title);
  if (change === 'index') return `indexed ${table}.${columns[0]}`;
  if (change === 'alter') return `altered ${table}`;
  return `created table ${table}`;
}

function reasoning(item: string, title: string): string {
  const { table, columns } = planFor(item, title);
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
const ORDER: Record<Change, number> = { table: 0, alter: 1, index: 2 };

export const databaseVoice: Voice = {
  note: ({ step, total, item, title }) =>
    `Step ${step} of ${total}: ${actionFor(item, title)} for ${clip(item, 50)}. ${reasoning(item, title)} ` +
    `SQL: ${sqlFor(item, title)}`,
  finalNote: (outline, total) =>
    `Step ${total} of ${total}: consolidated ${unitsOf(outline).length} schema change(s) into one migration, ` +
    'ordered so tables exist before the changes and indexes that use them; it applies cleanly to an empty database.',
  result: (outline) => ({
    head: [`-- Migration: ${capitalise(clip(outline.title, 80))}`, 'BEGIN;'],
    body: unitsOf(outline)
      .map((item, i) => ({ i, change: planFor(item, outline.title).change, sql: sqlFor(item, outline.title) }))
      .sort((a, b) => ORDER[a.change] - ORDER[b.change] || a.i - b.i)
      .map((s) => s.sql),
    tail: ['COMMIT;'],
    omitted: (n) => `-- ${n} more statement(s) omitted for length`,
  }),
};
