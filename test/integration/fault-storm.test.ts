import { startTask } from '../../src/client/submit-task';
import type { FaultKind } from '../../src/llm/offline';
import { closedResult } from '../../src/tasks/closed-outcome';
import { TaskInputSchema } from '../../src/tasks/task-input';
import { budgetQuery } from '../../src/budget/ledger-defs';
import { TERMINAL_STATUSES, type TaskOutcome } from '../../src/workflows/task-state';
import { billed } from '../support/billed';
import { startHarness, type Harness } from '../support/harness';

/**
 * A fault storm: every kind of provider failure at once, on every kind of call, while tasks run
 * side by side with leases, the way a bad hour at a provider looks. No task may vanish or hang,
 * each ends in one terminal state with its reasons, and the books still close: the tasks' reported
 * costs add up to the ledger's settled spend, which holds at least what the provider's own log
 * billed (calls that died without usage are charged their worst case: failing closed).
 */

let h: Harness;

// A 1.5 s LLM timeout turns a hang into a retryable timeout quickly.
beforeAll(async () => {
  h = await startHarness('fault-storm', { llmTimeoutMs: 1500 });
});

afterAll(async () => {
  await h?.stop();
});

/** Each kind fires on about one call in 20, seeded: some calls see none, some several in a row. */
const STORM: { kind: FaultKind; factor?: number; retryAfterSeconds?: number }[] = [
  { kind: 'rate_limit', retryAfterSeconds: 0 },
  { kind: 'server_error' },
  { kind: 'unavailable' },
  { kind: 'gateway_timeout' },
  { kind: 'malformed_json' },
  { kind: 'malformed_body' },
  { kind: 'invalid_output' },
  { kind: 'reset' },
  { kind: 'hang' },
  { kind: 'usage_inflate', factor: 3 },
];
const FAST_RETRY = { initialIntervalMs: 100, maximumIntervalMs: 400 };
const OBJECTIVES = [
  'Add a unique index on users.email in the Postgres database',
  'Research the durability guarantees of Kafka and Pulsar and cite sources',
  'Write a Python function that parses ISO-8601 durations, with unit tests',
  'Summarise the incident report of the payments outage for the on-call team',
];

describe('a storm of provider faults', () => {
  it('ends every task in one terminal state with reasons, and the tasks\' costs, the ledger and the provider\'s bill still agree', async () => {
    STORM.forEach((rule, i) => h.provider.addFault({ ...rule, probability: 0.05, seed: 1000 + i }));
    const ids = Array.from({ length: 16 }, (_, i) => `${h.taskQueue}-storm-${i}`);
    const handles = await Promise.all(
      ids.map((id, i) =>
        startTask(
          h.client,
          h.taskQueue,
          TaskInputSchema.parse({
            objective: `${OBJECTIVES[i % OBJECTIVES.length]} (part ${i})`,
            retry: { validateTask: FAST_RETRY, routeTask: FAST_RETRY, runSpecialist: FAST_RETRY, storeMemory: FAST_RETRY },
          }),
          id,
        ),
      ),
    );
    const outcomes: TaskOutcome[] = await Promise.all(handles.map((handle) => closedResult(handle)));

    const calls = h.provider.calls();
    const faulted = new Set(calls.filter((c) => c.fault).map((c) => c.fault));
    // The storm happened: most kinds reached some call (seeded, so the same ones every run).
    expect(faulted.size).toBeGreaterThanOrEqual(6);
    for (const outcome of outcomes) {
      expect(TERMINAL_STATUSES).toContain(outcome.status);
      expect(outcome.reasons.length).toBeGreaterThan(0);
    }
    // Most tasks get through a storm of transient faults; none is left without an end.
    expect(outcomes.filter((o) => o.status === 'completed').length).toBeGreaterThanOrEqual(12);

    await h.gate.flush();
    const snapshot = await h.client.workflow.getHandle(h.gate.ledgerId).query(budgetQuery);
    expect(snapshot.outstanding.count).toBe(0);
    const day = snapshot.scopes.find((s) => s.scope === 'system:day')!;
    // Nothing died and nothing came late: no expired lease, no charge after a close.
    expect(snapshot.leases?.expiredToday.usd ?? 0).toBe(0);
    expect(snapshot.chargedAfterCloseToday).toBeUndefined();
    const tasksUsd = outcomes.reduce((sum, o) => sum + o.costUsd, 0);
    expect(tasksUsd).toBeCloseTo(day.settledUsd, 9);
    expect(outcomes.reduce((sum, o) => sum + o.tokens, 0)).toBe(day.settledTokens);
    // Each task's reported cost holds at least what the provider billed for its calls; the whole
    // ledger holds that plus the worst cases of calls that died without usage.
    for (const [i, outcome] of outcomes.entries()) {
      expect(outcome.costUsd).toBeGreaterThanOrEqual(billed(calls.filter((c) => c.task === ids[i])) - 1e-12);
    }
    expect(day.settledUsd).toBeGreaterThanOrEqual(billed(calls) - 1e-12);
    const diedWithoutUsage = calls.filter((c) => c.fault === 'reset' || c.fault === 'hang' || c.fault === 'malformed_body').length;
    if (diedWithoutUsage > 0) expect(day.settledUsd).toBeGreaterThan(billed(calls));
  }, 180_000);
});
