import type { TaskInput } from '../tasks/task-input';

/**
 * The batch `npm start` runs: a tour of what Pantheon does with tasks of each kind. Some are
 * meant to be rejected before any model is called; one is long enough to be compressed.
 */
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
    // Long enough that its context is compressed (every 3 iterations here) within the default
    // per-task budget of 8000 tokens.
    slug: 'tenant-migration',
    task: {
      objective: [
        'Migrate these Postgres tables to the new tenant-aware schema:',
        ...['users', 'orders', 'order_items', 'invoices', 'payments'].map((t) => `- ${t}`),
      ].join('\n'),
      constraints: ['no downtime for the checkout flow'],
      compressEvery: 3,
    },
  },
  {
    // Too long for the default per_task_tokens (8000): stopped at its budget, not run up a bill.
    slug: 'warehouse-backfill',
    task: {
      objective: [
        'Backfill tenant ids into these Postgres warehouse tables:',
        ...Array.from({ length: 16 }, (_, i) => `- fact_sales_${2010 + i}`),
      ].join('\n'),
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
