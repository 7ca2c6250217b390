import { setMaxListeners } from 'node:events';
import { isRetryableError, type Client } from '@temporalio/client';
import { taskState } from '../client/tasks';
import { STATE_BOUNDS } from '../god/state';
import type { DecisionRecord } from '../god/types';
import { godDecisionsQuery, godReviewsQuery } from '../workflows/god-api';
import type { ChainState } from '../tasks/chain';
import { isTerminal, type TaskState } from '../workflows/task-state';

export interface GodWatched {
  slug: string;
  taskId: string;
}

/** Where a task God holds stands for the demo: ended, waiting for review, or still going. */
export interface GodWatchResult {
  ended: Map<string, TaskState | ChainState>;
  awaitingReview: string[];
  refused: string[];
}

/** How much of a decision's detail tells it apart: less than God keeps of a detail once it
 * compacts its state (STATE_BOUNDS.recentDetailChars), so a long detail clipped between two polls
 * is still the decision already printed, not a new one. */
const DETAIL_KEY_CHARS = STATE_BOUNDS.recentDetailChars - 1;

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** A line the watch prints, with the time it tells of: lines found in one poll print in that order. */
export interface TimedLine {
  atMs: number;
  text: string;
}

/** One poll's lines of every kind, earliest first (a wait that began before a decision prints before it). */
export function inTimeOrder(...lists: TimedLine[][]): string[] {
  return lists
    .flat()
    .sort((a, b) => a.atMs - b.atMs)
    .map((line) => line.text);
}

function decisionLine(d: DecisionRecord, slugs: Map<string, string>): string {
  const who = d.taskId ? (slugs.get(d.taskId) ?? d.taskId.replace(/^.*-(g\d+)-.*$/, 'generated $1')) : 'god';
  return `  ${clock(d.atMs)} god ${d.kind.padEnd(9)} ${who.padEnd(18)} ${d.detail.replace(/\s+/g, ' ').slice(0, 110)}`;
}

/**
 * The lines of decisions not printed yet (and marks them printed), leaving out those taken before
 * `sinceMs`: a God still running from an earlier `npm start` holds that run's decisions, which
 * are not this run's news.
 */
export function newDecisionLines(decisions: readonly DecisionRecord[], printed: Set<string>, slugs: Map<string, string>, sinceMs: number): TimedLine[] {
  const lines: TimedLine[] = [];
  for (const d of decisions) {
    if (d.atMs < sinceMs) continue;
    const key = `${d.atMs}|${d.kind}|${d.taskId ?? ''}|${d.detail.slice(0, DETAIL_KEY_CHARS)}`;
    if (printed.has(key)) continue;
    printed.add(key);
    lines.push({ atMs: d.atMs, text: decisionLine(d, slugs) });
  }
  return lines;
}

/**
 * A line for each watched task that has begun waiting for budget since the last poll (one per
 * wait: a task's place in line changes at every check, its wait does not), so a tight limit shows
 * why the batch stopped moving instead of leaving the demo silent until the window rolls over.
 */
export function newWaitLines(states: ReadonlyMap<string, TaskState | ChainState>, announced: Set<string>, slugs: Map<string, string>): TimedLine[] {
  const lines: TimedLine[] = [];
  for (const [taskId, state] of states) {
    if (state.status !== 'waiting_budget' || !('budgetWait' in state) || !state.budgetWait) continue;
    const wait = state.budgetWait;
    const key = `${taskId}|${wait.sinceMs}`;
    if (announced.has(key)) continue;
    announced.add(key);
    const until = wait.retryAtMs === undefined ? '' : ` (room by ${clock(wait.retryAtMs)} UTC)`;
    const who = slugs.get(taskId) ?? taskId;
    lines.push({ atMs: wait.sinceMs, text: `  ${clock(wait.sinceMs)} task ${'waiting'.padEnd(9)} ${who.padEnd(18)} for budget${until}: ${wait.reason.replace(/\s+/g, ' ').slice(0, 110)}` });
  }
  return lines;
}

/** Resolves with `work`, or with undefined as soon as `signal` aborts (the work is left to settle unseen). */
function unlessAborted<T>(work: Promise<T>, signal?: AbortSignal): Promise<T | undefined> {
  if (!signal) return work;
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        // Once stopping, a query that fails because the worker is going is no error of the watch.
        if (signal.aborted) resolve(undefined);
        else reject(err);
      },
    );
  });
}

/** A watch of God's decisions: what it came to, and when its last call to the server has ended. */
export interface GodWatch {
  /** The batch's outcome, or undefined as soon as the signal aborts. */
  outcome: Promise<GodWatchResult | undefined>;
  /**
   * Resolves once no call of the watch is still under way. Close the connection only after it: the
   * SDK retries a failed call from a timer, and a retry on a closed connection throws out of that
   * timer and kills the process.
   */
  settled: Promise<void>;
}

/**
 * Prints God's decisions as it takes them (generated, routed, chained, spawned, sent to review,
 * admitted, finished), from `sinceMs` on, until every watched task has ended or waits for a
 * person. Decisions on tasks God generated from its goals are printed too. The outcome is
 * undefined at once when `signal` aborts (Ctrl-C while the batch runs: the workers are draining,
 * so God stops answering queries, and the watch must not turn that into an error); the call under
 * way then is cancelled.
 */
export function watchGod(client: Client, godId: string, tasks: GodWatched[], sinceMs: number, options: WatchOptions = {}): GodWatch {
  const work = watch(client, godId, tasks, sinceMs, { pollMs: 500, retryForMs: 30_000, ...options });
  const { signal } = options;
  const outcome = unlessAborted(work, signal).then((result) => (signal?.aborted ? undefined : result));
  return { outcome, settled: work.then(() => undefined, () => undefined) };
}

/**
 * Runs one poll's calls so that `signal` aborting cancels the one under way (on a connection
 * without the SDK's retries: a retry it has scheduled outlives a cancel). Each poll has a signal
 * of its own: the SDK adds a listener per call and never removes it, so one signal for the whole
 * watch would gather thousands.
 */
async function cancelledBy<T>(client: Client, signal: AbortSignal | undefined, poll: () => Promise<T>): Promise<T> {
  if (!signal) return poll();
  const round = new AbortController();
  setMaxListeners(0, round.signal);
  const abortRound = () => round.abort();
  signal.addEventListener('abort', abortRound, { once: true });
  try {
    return await client.connection.withAbortSignal(round.signal, poll);
  } finally {
    signal.removeEventListener('abort', abortRound);
  }
}

export interface WatchOptions {
  pollMs?: number;
  /**
   * How long the watch asks again after calls that failed for a reason a retry can help (its
   * client has no SDK retries): as long as the SDK would have kept trying.
   */
  retryForMs?: number;
  signal?: AbortSignal;
}

async function watch(client: Client, godId: string, tasks: GodWatched[], sinceMs: number, { pollMs, retryForMs, signal }: Required<Omit<WatchOptions, 'signal'>> & WatchOptions): Promise<GodWatchResult | undefined> {
  const god = client.workflow.getHandle(godId);
  const slugs = new Map(tasks.map((t) => [t.taskId, t.slug]));
  const printed = new Set<string>();
  const announcedWaits = new Set<string>();
  let waitHintShown = false;
  const ended = new Map<string, TaskState | ChainState>();
  // One poll: undefined while the batch goes on (or once the signal aborts).
  const poll = async (): Promise<GodWatchResult | undefined> => {
    const decisions = await god.query(godDecisionsQuery);
    const reviews = new Set((await god.query(godReviewsQuery)).map((r) => r.taskId));
    // Marked printed only once both reads are in: a failed read retries the whole poll.
    const decided = newDecisionLines(decisions, printed, slugs, sinceMs);
    const refused = tasks.filter((t) => decisions.some((d) => d.taskId === t.taskId && d.kind === 'review' && /reject/.test(d.detail))).map((t) => t.slug);
    const live = new Map<string, TaskState | ChainState>();
    for (const t of tasks) {
      // A call begun after the abort would not be cancelled by it.
      if (signal?.aborted) return undefined;
      if (ended.has(t.slug) || reviews.has(t.taskId)) continue;
      const found = await taskState(client, t.taskId).catch(() => undefined);
      if (found?.state && isTerminal(found.state.status)) ended.set(t.slug, found.state);
      // A chain waits when its running step does: that step's state, told under the chain's name.
      else if (found?.state) live.set(t.taskId, found.runningStep?.state ?? found.state);
    }
    const waits = newWaitLines(live, announcedWaits, slugs);
    for (const line of inTimeOrder(decided, waits)) console.log(line);
    if (waits.length > 0 && !waitHintShown) {
      waitHintShown = true;
      console.log('  (a budget limit is full: waiting tasks go on as room frees, in order; see `npm run pantheon -- budget`)');
    }
    const awaitingReview = tasks.filter((t) => reviews.has(t.taskId)).map((t) => t.slug);
    return ended.size + awaitingReview.length + refused.length >= tasks.length ? { ended, awaitingReview, refused } : undefined;
  };
  let failingSinceMs: number | undefined;
  for (;;) {
    try {
      const result = await cancelledBy(client, signal, poll);
      if (result || signal?.aborted) return signal?.aborted ? undefined : result;
      failingSinceMs = undefined;
    } catch (err) {
      if (signal?.aborted) return undefined;
      // What the SDK would have retried (the server restarting, a dropped stream), the next poll asks again.
      failingSinceMs ??= Date.now();
      if (!sdkWouldRetry(err) || Date.now() - failingSinceMs > retryForMs) throw err;
    }
    await new Promise((r) => setTimeout(r, pollMs));
    if (signal?.aborted) return undefined;
  }
}

type GrpcStatus = Parameters<typeof isRetryableError>[0];

/**
 * Whether the SDK would have retried the call `err` ended: by its gRPC status (the SDK wraps it as
 * the cause). An error without one (workflow not found, a failed query handler) is no outage.
 */
function sdkWouldRetry(err: unknown): boolean {
  const e = err as { code?: unknown; details?: unknown; cause?: { code?: unknown; details?: unknown } };
  const grpc = typeof e.code === 'number' ? e : e.cause;
  if (typeof grpc?.code !== 'number') return false;
  // The rule reads the code and the details only.
  return isRetryableError({ code: grpc.code, details: String(grpc.details ?? '') } as GrpcStatus);
}
