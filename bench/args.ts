/**
 * Benchmark options from argv, falling back to the environment, then to defaults.
 *   --tasks N        BENCH_TASKS         measured tasks (default 100)
 *   --concurrency C  BENCH_CONCURRENCY   tasks in flight at once (default 20)
 *   --latency MS     BENCH_LATENCY_MS    offline provider latency per call, no jitter (default 1000)
 * The defaults are issue 11's target setting (100 tasks, concurrency 20, 1 s per call): about a
 * minute and a half of measuring on 2 cores. `--latency 50 --concurrency 10` is a quicker look.
 *   --warmup W       BENCH_WARMUP        unmeasured tasks first (default max(3, C))
 *   --task-timeout-ms T  BENCH_TASK_TIMEOUT_MS  a task slower than this fails the run (default 120000)
 *   --json           BENCH_JSON=1        print one JSON object instead of tables
 *   --sdk-metrics    BENCH_SDK_METRICS=1 also report the SDK's own metrics per phase (sdk-metrics.ts)
 *   --no-ledger      BENCH_LEDGER=off    the pipeline's LLM calls skip the budget ledger: a diagnostic of
 *                                        what the ledger costs end to end (the targets are not judged)
 */

import { didYouMean } from '../src/client/parse-args';

export interface BenchOptions {
  tasks: number;
  concurrency: number;
  latencyMs: number;
  warmup: number;
  taskTimeoutMs: number;
  json: boolean;
  sdkMetrics: boolean;
  /** False with --no-ledger: the pipeline's calls are not budgeted (a diagnostic run). */
  ledger: boolean;
}

export const USAGE = `usage: npm run bench -- [--tasks N] [--concurrency C] [--latency MS] [--warmup W] [--task-timeout-ms T] [--json] [--sdk-metrics] [--no-ledger]
  --tasks N            measured tasks (env BENCH_TASKS, default 100)
  --concurrency C      tasks in flight at once (env BENCH_CONCURRENCY, default 20)
  --latency MS         offline provider latency per LLM call, no jitter (env BENCH_LATENCY_MS, default 1000)
  --warmup W           unmeasured warm-up tasks (env BENCH_WARMUP, default max(3, C))
  --task-timeout-ms T  fail the run if one task takes longer (env BENCH_TASK_TIMEOUT_MS, default 120000)
  --json               print one JSON object (env BENCH_JSON=1)
  --sdk-metrics        also report, per phase, the Temporal SDK's metrics (workflow tasks and activities
                       in the worker, the server's answers) and the event-loop delay (env BENCH_SDK_METRICS=1)
  --no-ledger          the pipeline's LLM calls skip the budget ledger (env BENCH_LEDGER=off): a diagnostic,
                       run beside a normal run, of what the ledger costs end to end; the targets are not judged
The defaults are the setting issue 11's targets are stated for; the report marks other settings.
Set TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE) to use a running server instead of an in-memory dev server.`;

export class UsageError extends Error {}

const NUMERIC = {
  '--tasks': { key: 'tasks', env: 'BENCH_TASKS', min: 1 },
  '--concurrency': { key: 'concurrency', env: 'BENCH_CONCURRENCY', min: 1 },
  '--latency': { key: 'latencyMs', env: 'BENCH_LATENCY_MS', min: 0 },
  '--warmup': { key: 'warmup', env: 'BENCH_WARMUP', min: 0 },
  '--task-timeout-ms': { key: 'taskTimeoutMs', env: 'BENCH_TASK_TIMEOUT_MS', min: 1 },
} as const;
type NumericFlag = keyof typeof NUMERIC;
const SWITCHES = ['--json', '--sdk-metrics', '--no-ledger', '--help'];

type NumericKey = (typeof NUMERIC)[NumericFlag]['key'];

function toInt(text: string, what: string, min: number): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${what}: expected a whole number, got "${text}"`);
  const value = Number(text.trim());
  if (!Number.isSafeInteger(value) || value < min) throw new UsageError(`${what}: must be at least ${min}, got ${text}`);
  return value;
}

const flagFromEnv = (value: string | undefined) => ['1', 'true', 'yes'].includes((value ?? '').toLowerCase());

function ledgerFromEnv(value: string | undefined): boolean {
  const text = (value ?? '').trim().toLowerCase();
  if (text === '' || text === 'on') return true;
  if (text === 'off') return false;
  throw new UsageError(`BENCH_LEDGER: expected "on" or "off", got "${value}"`);
}

/** Returns undefined after printing usage for --help. */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchOptions | undefined {
  const given: Partial<Record<NumericKey, number>> = {};
  let json: boolean | undefined;
  let sdkMetrics: boolean | undefined;
  let ledger: boolean | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return undefined;
    if (arg === '--json') {
      json = true;
      continue;
    }
    if (arg === '--sdk-metrics') {
      sdkMetrics = true;
      continue;
    }
    if (arg === '--no-ledger') {
      ledger = false;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = (eq >= 0 ? arg.slice(0, eq) : arg) as NumericFlag;
    const spec = NUMERIC[flag];
    if (!spec) throw new UsageError(`unknown option "${arg}"${didYouMean(flag, [...Object.keys(NUMERIC), ...SWITCHES])}`);
    const text = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (text === undefined) throw new UsageError(`${flag}: a value is required`);
    given[spec.key] = toInt(text, flag, spec.min);
  }
  const pick = (flag: NumericFlag, fallback: number): number => {
    const spec = NUMERIC[flag];
    if (given[spec.key] !== undefined) return given[spec.key]!;
    const fromEnv = env[spec.env];
    return fromEnv !== undefined && fromEnv !== '' ? toInt(fromEnv, spec.env, spec.min) : fallback;
  };
  const concurrency = pick('--concurrency', 20);
  return {
    tasks: pick('--tasks', 100),
    concurrency,
    latencyMs: pick('--latency', 1000),
    warmup: pick('--warmup', Math.max(3, concurrency)),
    taskTimeoutMs: pick('--task-timeout-ms', 120_000),
    json: json ?? flagFromEnv(env.BENCH_JSON),
    sdkMetrics: sdkMetrics ?? flagFromEnv(env.BENCH_SDK_METRICS),
    ledger: ledger ?? ledgerFromEnv(env.BENCH_LEDGER),
  };
}
