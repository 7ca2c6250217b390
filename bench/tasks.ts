import type { TaskInput } from '../src/tasks/task-input';

/**
 * Concrete, deterministic benchmark tasks. Every one is a database task whose keywords (table,
 * postgres, index, column, sql...) let the rules route it to DatabaseAgent without a classifier
 * call, and whose objective lists 2 or 3 bullet items, so the offline specialist takes items + 1
 * iterations (3 or 4 LLM calls) and never reaches compression. Task i is always the same task.
 */

const TABLES = ['orders', 'customers', 'invoices', 'shipments', 'payments', 'products', 'subscriptions', 'refunds'];
const COLUMNS = ['created_at', 'customer_id', 'status', 'region_code', 'updated_at', 'external_ref', 'currency', 'tenant_id', 'amount_cents'];

type Template = (table: string, columns: string[]) => { objective: string; constraints?: string[] };

const TEMPLATES: Template[] = [
  (table, columns) => ({
    objective: [`Add named indexes to the ${table} table in Postgres:`, ...columns.map((c) => `- an index on ${c}`)].join('\n'),
    constraints: ['create every index concurrently'],
  }),
  (table, columns) => ({
    objective: [`Migrate the ${table} table in Postgres to add nullable columns, then backfill them in batches:`, ...columns.map((c) => `- column ${c}`)].join('\n'),
  }),
  (table, columns) => ({
    objective: [`Tune the slow SQL queries against the ${table} table in Postgres:`, ...columns.map((c) => `- the query that filters by ${c}`)].join('\n'),
    constraints: ['keep every query plan under 5 ms on the staging database'],
  }),
];

/** Bullet items of task i: 2 or 3, alternating in a pattern that does not line up with the templates. */
export function itemCount(i: number): number {
  return (i * 5 + 1) % 3 === 0 ? 3 : 2;
}

export function benchTask(i: number): TaskInput {
  const table = TABLES[i % TABLES.length];
  const n = itemCount(i);
  const columns = Array.from({ length: n }, (_, k) => COLUMNS[(i + k * 4) % COLUMNS.length]);
  const { objective, constraints } = TEMPLATES[Math.floor(i / TABLES.length) % TEMPLATES.length](table, columns);
  return { objective, ...(constraints ? { constraints } : {}) };
}

export function benchTasks(count: number, offset = 0): TaskInput[] {
  return Array.from({ length: count }, (_, i) => benchTask(offset + i));
}
