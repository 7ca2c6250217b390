import type { TaskInput } from '../tasks/task-input';

/**
 * The batch `npm start` runs: a tour of what Pantheon does with tasks of each kind. Some are
 * meant to be rejected before any model is called; one is long enough to be compressed.
 */
/** A pasted schema, as people paste them: long, and sent again with every call. */
function warehouseTable(year: number): string {
  const columns = ['sale_id bigint primary key', 'store_id integer not null', 'sku text not null', 'quantity integer not null', 'unit_price numeric(12,2) not null', 'discount numeric(12,2)', 'currency char(3) not null', 'sold_at timestamptz not null', 'channel text', 'region text', 'loaded_at timestamptz default now()'];
  return `CREATE TABLE warehouse.fact_sales_${year} (\n  ${columns.join(',\n  ')}\n);\nCREATE INDEX fact_sales_${year}_sold_at ON warehouse.fact_sales_${year} (sold_at);`;
}

export const DEMO_TASKS: Array<{ slug: string; task: TaskInput }> = [
  {
    slug: 'orders-index',
    task: { objective: 'Add a created_at column with an index to the orders table in Postgres, without locking writes', priority: 'high' },
  },
  {
    slug: 'review-retry-helper',
    task: {
      objective: 'Review the pull request that adds a retry helper to the payments module for race condition and security bugs',
      context: 'The helper wraps fetch calls to the card processor and retries on any error.',
    },
  },
  {
    slug: 'broker-claims',
    task: { objective: 'Which open questions remain about the cited durability claims of Kafka and Pulsar? Keep the writeup concise.' },
  },
  {
    // Twelve iterations with the default settings: its history is compressed once (every 10
    // iterations), well within the default per-task budget.
    slug: 'tenant-migration',
    task: {
      objective: [
        'Migrate these Postgres tables to the new tenant-aware schema:',
        ...['users', 'orders', 'order_items', 'invoices', 'payments', 'refunds', 'carts', 'coupons', 'shipments', 'returns', 'reviews'].map((t) => `- ${t}`),
      ].join('\n'),
      constraints: ['no downtime for the checkout flow'],
    },
  },
  {
    // Sixteen tables with their whole schema pasted in: every call carries it, so the task is
    // stopped at the default per_task_tokens instead of running up a bill.
    slug: 'warehouse-backfill',
    task: {
      objective: [
        'Backfill tenant ids into these Postgres warehouse tables:',
        ...Array.from({ length: 16 }, (_, i) => `- fact_sales_${2010 + i}`),
      ].join('\n'),
      context: Array.from({ length: 16 }, (_, i) => warehouseTable(2010 + i)).join('\n\n'),
    },
  },
  {
    slug: 'oncall-runbook',
    task: { objective: 'Write an on-call runbook checklist for restarting the billing workers after a failed deploy', priority: 'low' },
  },
  { slug: 'vague', task: { objective: 'improve the thing from yesterday' } },
  {
    slug: 'contradictory',
    task: { objective: 'Take the primary database offline to rebuild the search index', constraints: ['no downtime'] },
  },
  {
    slug: 'blocked',
    task: { objective: 'Review the attached diff of the session middleware for security bugs', requires: ['diff'] },
  },
];
