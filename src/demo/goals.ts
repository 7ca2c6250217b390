import type { GoalInput } from '../god/messages';
import type { TaskInput } from '../tasks/task-input';

/**
 * What `npm start` hands God: two standing goals (one paid by the experimental lane) and three
 * tasks that show its other decisions — a chain across two specialists, an irreversible change
 * held for review, and work no specialist fits (God spawns one, on trial, reviewed).
 */
export const DEMO_GOALS: GoalInput[] = [
  {
    id: 'orders-db-health',
    objective: 'Keep the orders Postgres database fast: indexes, slow queries and table bloat',
    value: 6,
    cadenceMinutes: 60,
    budgetShare: 0.3,
    tasksPerRun: 2,
  },
  {
    id: 'explore-vendors',
    objective: 'Research and compare managed queue vendors we could move the billing events to',
    value: 3,
    cadenceMinutes: 120,
    budgetShare: 0.15,
    lane: 'experimental',
    tasksPerRun: 1,
  },
];

export const DEMO_GOD_TASKS: Array<{ slug: string; task: TaskInput }> = [
  {
    slug: 'sharding-chain',
    task: { objective: 'Research and compare the evidence on sharding options from the vendors, then write the SQL migration with an index for the orders table schema' },
  },
  { slug: 'drop-legacy', task: { objective: 'Drop the legacy_sessions table from the production Postgres database' } },
  { slug: 'lease-renewal', task: { objective: 'Negotiate the renewal terms of the office lease with the landlord before it expires in March' } },
];
