/**
 * `npm run bench:ledger [-- --cycles 400 --concurrency 1,8,200 --json]`: the budget ledger's
 * throughput limit. One ledger serialises every reservation, so how many reserve/settle operations
 * a second it serves, and how the gate's batching (queued requests share one update, at most 4
 * updates in flight per process) scales that with concurrent callers, is the number an operator
 * sizes a fleet by. For each concurrency a fresh ledger on its own dev server serves `cycles`
 * reserve-then-settle cycles (each call waits for its reserve, then its settle, no leases: every
 * operation is a ledger round trip or rides in one) from that many concurrent callers.
 *
 * Prints per concurrency: operations/s, ledger updates/s (and operations per update), reserve
 * round trip p50/p95/max, and the CPU each update cost this process and the dev server. Nothing is
 * asserted here; test/integration/budget-ledger.test.ts checks that such runs lose nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createBudgetGate } from '../src/budget/gate';
import { loadLimits } from '../src/budget/load-limits';
import type { ChatRequest } from '../src/llm/types';
import { repoRoot } from '../src/config/paths';
import { ensureTemporal } from '../src/runtime/temporal';
import { clientConnectionOptions, loadTemporalConnection, workerConnectionOptions } from '../src/config/temporal-connection';
import { createLedgerWorker } from '../src/workers/ledger-worker';
import { bundleWorkflows } from '../src/workers/workflow-bundle';
import { cpuMark } from './cpu';
import { installQuietRuntime } from './environment';
import { round } from './stats';

const USAGE = `usage: npm run bench:ledger -- [--cycles N] [--concurrency 1,8,200] [--json]`;

interface Options {
  cycles: number;
  concurrency: number[];
  json: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { cycles: 400, concurrency: [1, 8, 200], json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '--json') options.json = true;
    else if (arg === '--cycles') {
      options.cycles = Number(value());
      if (!Number.isInteger(options.cycles) || options.cycles < 1) throw new Error(`--cycles must be a whole number ≥ 1\n${USAGE}`);
    } else if (arg === '--concurrency') {
      options.concurrency = value().split(',').map(Number);
      if (options.concurrency.some((c) => !Number.isInteger(c) || c < 1)) throw new Error(`--concurrency must be whole numbers ≥ 1, comma-separated\n${USAGE}`);
    } else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  return options;
}

/** A specialist's ordinary call (its worst case is what the ledger reserves). */
const call = (taskId: string): ChatRequest => ({
  provider: 'openai',
  model: 'gpt-4.1-mini',
  system: 'You are the database specialist.',
  messages: [{ role: 'user', content: 'Add an index on orders.created_at' }],
  maxOutputTokens: 700,
  json: true,
  purpose: 'specialist',
  agent: 'DatabaseAgent',
  taskId,
});

interface Row {
  concurrency: number;
  operations: number;
  seconds: number;
  operationsPerSec: number;
  ledgerUpdates: number;
  updatesPerSec: number;
  reserveMs: { p50: number; p95: number; max: number };
  /** CPU per ledger update: this process (client, ledger worker) and the dev server when this bench started it. */
  cpuMsPerUpdate: { process: number; server?: number };
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const progress = (m: string) => process.stderr.write(`bench:ledger: ${m}\n`);
  installQuietRuntime();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pantheon-bench-ledger-'));
  // A dev server of its own, unless TEMPORAL_ADDRESS (or temporal.toml) names a server to measure.
  const temporal = await ensureTemporal({ connection: loadTemporalConnection(process.env), devServer: { port: 0, dbFile: null, headless: true, logFile: path.join(dir, 'temporal.log') } });
  const rows: Row[] = [];
  try {
    progress('bundling workflows');
    const code = await bundleWorkflows({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
    const connection = await Connection.connect(clientConnectionOptions(temporal.connection));
    const client = new Client({ connection, namespace: temporal.namespace });
    const native = await NativeConnection.connect(workerConnectionOptions(temporal.connection));
    const taskQueue = `bench-ledger-${process.pid}`;
    const worker = await createLedgerWorker({ connection: native, namespace: temporal.namespace, taskQueue, workflowBundle: { code } });
    const running = worker.run();
    // Limits that never deny: the bench measures service, not refusals.
    const limits = { ...loadLimits(path.join(repoRoot(), 'limits.yaml')), systemHourlyUsd: 1e6, systemDailyUsd: 1e6, perAgentHourlyUsd: 1e6, perAgentDailyUsd: 1e6, perTaskUsd: 1e6, perTaskTokens: 1e9 };
    try {
      for (const concurrency of options.concurrency) {
        progress(`${options.cycles} reserve/settle cycles from ${concurrency} concurrent caller(s)`);
        const ledgerId = `bench-ledger-${process.pid}-${concurrency}`;
        const gate = createBudgetGate({ client, taskQueue, limits, ledgerId });
        await gate.ensureLedger();
        let next = 0;
        const cpuFrom = cpuMark(temporal.started?.pid);
        const t0 = performance.now();
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            for (let i = next++; i < options.cycles; i = next++) {
              const r = await gate.reserve(call(`task-${i % 40}`), `bench:run:1:${i}:0`);
              await gate.settle(r.id, { usd: r.usd / 2, tokens: Math.round(r.tokens / 2) });
            }
          }),
        );
        const seconds = (performance.now() - t0) / 1000;
        const cpuTo = cpuMark(temporal.started?.pid);
        const stats = gate.stats();
        const perUpdate = (ms: number) => round(ms / Math.max(1, stats.ledgerUpdates), 2);
        const operations = options.cycles * 2;
        rows.push({
          concurrency,
          operations,
          seconds: round(seconds, 2),
          operationsPerSec: round(operations / seconds, 0),
          ledgerUpdates: stats.ledgerUpdates,
          updatesPerSec: round(stats.ledgerUpdates / seconds, 0),
          reserveMs: { p50: round(stats.reserve.p50Ms, 1), p95: round(stats.reserve.p95Ms, 1), max: round(stats.reserve.maxMs, 1) },
          cpuMsPerUpdate: {
            process: perUpdate(cpuTo.processMs - cpuFrom.processMs),
            ...(cpuFrom.serverMs !== undefined && cpuTo.serverMs !== undefined && { server: perUpdate(cpuTo.serverMs - cpuFrom.serverMs) }),
          },
        });
        await client.workflow.getHandle(ledgerId).terminate('benchmark over').catch(() => undefined);
      }
    } finally {
      worker.shutdown();
      await running;
      await native.close();
      await connection.close();
    }
  } finally {
    await temporal.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.versions.node}, load ${os.loadavg()[0].toFixed(1)}`;
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ok: true, options, machine, rows }, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `budget ledger throughput: ${options.cycles} reserve/settle cycles per row, no leases; ${machine}`,
    '',
    '| concurrent callers | operations/s | ledger updates/s | operations per update | reserve p50 / p95 / max | CPU per update: this process / server |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.concurrency} | ${r.operationsPerSec} | ${r.updatesPerSec} | ${(r.operations / Math.max(1, r.ledgerUpdates)).toFixed(1)} | ${r.reserveMs.p50} / ${r.reserveMs.p95} / ${r.reserveMs.max} ms | ${r.cpuMsPerUpdate.process} / ${r.cpuMsPerUpdate.server ?? '-'} ms |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:ledger failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
