import { isPantheonError } from '../errors';
import { stripControl } from '../tasks/control-chars';
import { namespaceAdvice } from '../runtime/namespace-missing';

/** The most of an error message the CLI prints: huge bad input must not flood the terminal. */
export const MAX_ERROR_CHARS = 2048;

/**
 * An error message fit for a terminal: escape codes from the input removed, and cut at `limit`
 * characters, saying how many were cut.
 *
 * @example boundedMessage('x'.repeat(5000), 2048) // 'xxx…x … [2952 more characters cut]'
 */
export function boundedMessage(message: string, limit = MAX_ERROR_CHARS): string {
  const clean = stripControl(message);
  if (clean.length <= limit) return clean;
  return `${clean.slice(0, limit)} … [${clean.length - limit} more characters cut]`;
}

/**
 * An SDK error's message with its causes': the SDK's own ("Failed to start Workflow") says what
 * failed, the server's below it why ("Namespace default has no mapping defined for search attribute ...").
 */
function withCauses(err: Error): string {
  const parts = [err.message];
  for (let cause = err.cause, depth = 0; cause instanceof Error && depth < 4; cause = cause.cause, depth += 1) {
    if (cause.message && !parts.some((part) => part.includes(cause.message))) parts.push(cause.message);
  }
  return parts.join(': ');
}

/** What a user can do about a server error they cannot fix by reading it. */
function hintFor(message: string): string {
  const namespace = /Namespace (\S+) is not found/i.exec(message);
  if (namespace) return ` (${namespaceAdvice(namespace[1])})`;
  if (/no mapping defined for search attribute/i.test(message)) {
    return " (this namespace lacks Pantheon's search attributes: start a worker, `npm run worker`, once against it; it registers them)";
  }
  if (/Unknown encoding: binary\/encrypted/i.test(message)) {
    return ' (the payloads are encrypted: set PANTHEON_CODEC_KEYS or PANTHEON_CODEC_KEY_FILE to the keys the workers use)';
  }
  if (/Received HTTP status code \d+/i.test(message)) {
    return " (what answers at the address speaks HTTP/2 but is not Temporal's frontend: a proxy, a load balancer or another service? TEMPORAL_ADDRESS, or TEMPORAL_PROFILE / temporal.toml, names the frontend's gRPC address, port 7233 by default)";
  }
  if (/no poller seen for task queue/i.test(message)) {
    return ' (no worker polls the workflow\'s task queue: start one, `npm run worker`, with the same TEMPORAL_* and PANTHEON_*_TASK_QUEUE settings)';
  }
  return '';
}

const SERVER_CANNOT_SERVE_HINT = ' (Temporal is reachable but cannot serve the request now: its database or a service behind it down, or overloaded? try again later; exit 75)';
/** A refused connection is no server that cannot serve: nothing listens at the address. */
const SERVER_NOT_LISTENING_HINT = ' (nothing answers at the Temporal address now: the server is down or restarting, or TEMPORAL_ADDRESS names the wrong place; try again once it is up; exit 75)';
const NOT_LISTENING = /ECONNREFUSED|No connection established/i;

/** The line (or lines, with PANTHEON_DEBUG's stack) a failed command prints. */
export function errorReport(err: unknown, debug = Boolean(process.env.PANTHEON_DEBUG)): string {
  const text = isPantheonError(err) ? `${err.type}: ${err.message}` : err instanceof Error ? withCauses(err) : String(err);
  const hint = hintFor(text) || (!isPantheonError(err) && serverCannotServe(err) ? (NOT_LISTENING.test(text) ? SERVER_NOT_LISTENING_HINT : SERVER_CANNOT_SERVE_HINT) : '');
  const message = `${text}${hint}`;
  const stack = debug && err instanceof Error && err.stack ? `\n${boundedMessage(err.stack, 4 * MAX_ERROR_CHARS)}` : '';
  return `error: ${boundedMessage(message)}${stack}\n`;
}

/** The exit code when what the command needs does not answer yet (sysexits' EX_TEMPFAIL): running it again later may work. */
export const TEMPORARY_FAILURE_EXIT_CODE = 75;

/** Failures a later try may not meet: a service that is down or not reachable, not bad input. */
const TEMPORARY_TYPES: ReadonlySet<string> = new Set(['temporal_unavailable', 'ledger_unavailable', 'god_unavailable', 'god_queue_full', 'worker_unavailable', 'store_unavailable']);

/** gRPC status codes a reachable Temporal server answers with while it cannot serve: UNAVAILABLE
 * (its database down, a shard moving), DEADLINE_EXCEEDED (it did not answer in time). */
const SERVER_CANNOT_SERVE = new Set([4, 14]);

/** Whether the server (or the way to it) answered a call with such a status, anywhere in the cause chain. */
export function serverCannotServe(err: unknown): boolean {
  let cause: unknown = err;
  for (let depth = 0; cause instanceof Error && depth < 5; depth += 1, cause = cause.cause) {
    const { code, metadata } = cause as { code?: unknown; metadata?: unknown };
    // grpc-js's errors carry the status code and the answer's metadata; other errors' `code` is no status.
    if (typeof code === 'number' && metadata !== undefined && SERVER_CANNOT_SERVE.has(code)) return true;
  }
  return false;
}

/**
 * 75 when Temporal, the budget ledger, God, a task's worker or the memory store does not answer,
 * God's queue is full, or Temporal answers that it cannot serve now (a script may try again
 * later), else 1 (bad input, a refusal, a bug: the same command fails the same way again).
 */
export function exitCodeFor(err: unknown): number {
  if (isPantheonError(err)) return TEMPORARY_TYPES.has(err.type) ? TEMPORARY_FAILURE_EXIT_CODE : 1;
  return serverCannotServe(err) ? TEMPORARY_FAILURE_EXIT_CODE : 1;
}

/**
 * Runs a command's main; any failure prints one clear line (the field, the cause) and exits
 * non-zero ({@link exitCodeFor}). So does a main that never settles once nothing is left to wait
 * for (exit 1): Node would exit 0 then, and a worker process would look to its supervisor as if
 * it had been stopped on purpose.
 */
export function exitOnError(main: () => Promise<void>): void {
  quietWhenReaderLeaves();
  let settled = false;
  process.once('beforeExit', () => {
    if (settled) return;
    process.exitCode = 1;
    process.stderr.write(errorReport(new Error('stopped before finishing: the process had nothing left to wait for, yet its work never ended (a bug: please report it with the lines above)')));
  });
  main().then(
    () => {
      settled = true;
    },
    (err: unknown) => {
      settled = true;
      const code = exitCodeFor(err);
      process.exitCode = code;
      // Exit only once stderr has taken the line: process.exit can drop a pending write to a pipe.
      process.stderr.write(errorReport(err), () => process.exit(code));
    },
  );
}

/**
 * `pantheon roster | head -1`: the reader has what it wanted and closed the pipe. Stop writing and
 * exit as the command would have, instead of a stack trace of an unhandled EPIPE.
 */
function quietWhenReaderLeaves(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit();
  });
}

/** The exit code of `submit --wait` for a task that ended but did not complete (bad input or an error is 1). */
export const NOT_COMPLETED_EXIT_CODE = 2;

/** After a waited-for task's outcome is printed: a script can tell a completed task from one that ended otherwise. */
export function exitForOutcome(status: string): void {
  if (status !== 'completed') process.exitCode = NOT_COMPLETED_EXIT_CODE;
}

/** The exit code of a wait stopped by Ctrl-C (128 + SIGINT, as a shell reports it). */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * While `submit --wait` waits: Ctrl-C (or SIGTERM) stops the wait, not the task, and says so
 * before exiting 130 (it exited silently, as if the task had been stopped too). Returns the
 * function that takes the handlers off again.
 */
export function sayTaskGoesOnWhenInterrupted(taskId: string): () => void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // Under npm a Ctrl-C comes twice (the terminal's and npm's relay): the second finds the
    // listener still there, not the default action that would kill before the line is out.
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\nstopped waiting (${signal}): task ${taskId} goes on; see it with: npm run pantheon -- status ${taskId}\n`, () => process.exit(INTERRUPTED_EXIT_CODE));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
}
