import { startTask } from '../../src/client/submit-task';
import { TaskInputSchema } from '../../src/tasks/task-input';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { workerFleetSuite } from '../support/worker-process';

/**
 * A worker asked to stop (SIGTERM, as a supervisor sends it) drains: the specialist run it holds
 * finishes the call under way and stops at that boundary, instead of starting calls for the whole
 * grace period (20 s) that the drain's end then cuts, one of them paid for again by the next worker.
 */
const suite = workerFleetSuite('drain');
const { fleet } = suite;

const TABLES = ['users', 'orders', 'order_items', 'invoices', 'payments', 'refunds', 'carts', 'coupons', 'shipments', 'returns', 'reviews', 'addresses'];

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('stops its specialist run at the next call boundary, exits 0, and the next worker goes on from there paying no call twice', async () => {
  const id = `${fleet.taskQueue}-long`;
  // Each specialist call takes 1.5 s: the run would call on for the whole 20 s grace.
  suite.provider.addFault({ kind: 'slow', delayMs: 1500, match: { task: id, purpose: 'specialist' } });
  const first = fleet.start(suite.provider.url);
  const handle = await startTask(suite.client, fleet.taskQueue, TaskInputSchema.parse({ objective: ['Migrate these Postgres tables to the new tenant-aware schema:', ...TABLES.map((t) => `- ${t}`)].join('\n'), compressEvery: 40 }), id);
  const specialistCalls = () => suite.provider.calls().filter((c) => c.task === id && c.purpose === 'specialist');
  await until(() => specialistCalls().length >= 2, 120_000, 'the run to be two calls in');

  const askedToStopMs = Date.now();
  const exited = new Promise<number | null>((resolve) => first.once('exit', (code) => resolve(code)));
  first.kill('SIGTERM');
  expect(await exited).toBe(0);
  // Calls that left the draining worker after the stop (a call in transit may land a moment later).
  const startedWhileDraining = specialistCalls().filter((c) => Date.parse(c.at) > askedToStopMs + 500);
  expect(startedWhileDraining).toEqual([]);

  fleet.start(suite.provider.url);
  const outcome = (await handle.result()) as TaskOutcome;
  expect(outcome.status).toBe('completed');
  // One call per iteration: the call under way at the stop was answered, checkpointed and not made again.
  expect(specialistCalls()).toHaveLength(outcome.iteration);
}, 180_000);
