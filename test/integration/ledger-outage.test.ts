import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createBudgetGate, type BudgetGate } from '../../src/budget/gate';
import { defaultLimits } from '../../src/budget/limits';
import { startDevServer, type DevServer } from '../../src/runtime/dev-server';
import { findFreePort } from '../../src/runtime/free-port';

/**
 * A settle sent while the Temporal server is down: a dev server of this file's own (on a SQLite
 * file, so it comes back with its history) is killed with SIGKILL between a call's reserve and its
 * settle, and started again. The gate sends the settle again until it lands (until-landed.ts);
 * given up on, the ledger would hold the call's worst case and charge it at the task's close.
 * The client's own gRPC retries are cut to two attempts, so an outage of seconds outlasts them
 * (the SDK's default rides out about 20 s on its own).
 */

const unique = `${process.pid}-${Date.now()}`;
const taskQueue = `ledger-outage-${unique}`;
const ledgerId = `ledger-outage-${unique}`;
const dir = fs.mkdtempSync(path.join(process.env.PANTHEON_TEST_DIR ?? os.tmpdir(), 'ledger-outage-'));
const dbFile = path.join(dir, 'temporal.sqlite');
const logFile = path.join(dir, 'temporal.log');

let port: number;
let server: DevServer;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let connection: Connection;
let client: Client;
let gate: BudgetGate;
const resent: number[] = [];

const startServer = () => startDevServer({ port, headless: true, dbFile, logFile });

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Another test file in this process installed it.
  }
  port = await findFreePort();
  server = await startServer();
  native = await NativeConnection.connect({ address: server.address });
  worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: { codePath: process.env.PANTHEON_TEST_BUNDLE! } });
  running = worker.run();
  connection = await Connection.connect({ address: server.address, interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 2 }))] });
  client = new Client({ connection, namespace: 'default' });
  gate = createBudgetGate({ client, taskQueue, limits: defaultLimits(), ledgerId, landingPatienceMs: 90_000, onResend: (_err, attempt) => resent.push(attempt) });
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running?.catch(() => undefined);
  await connection?.close();
  await native?.close();
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}, 120_000);

it('lands a settle sent while the Temporal server is down once it is back: the ledger holds what the call cost, not its worst case', async () => {
  const reservation = await gate.reserveAmount({ key: `t-outage:${unique}:1:1:0`, taskId: 't-outage', agent: 'DatabaseAgent', usd: 0.4, tokens: 2000 });
  process.kill(-server.pid, 'SIGKILL');
  const settling = gate.settle(reservation.id, { usd: 0.1, tokens: 500 });
  // Down for a few seconds, well past the client's own retries.
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  server = await startServer();

  const result = await settling;
  expect(result).toMatchObject({ reservationId: reservation.id, applied: true, status: 'settled' });
  expect(resent.length).toBeGreaterThanOrEqual(1);
  const snapshot = await gate.snapshot();
  expect(snapshot.outstanding.count).toBe(0);
  const day = snapshot.scopes.find((s) => s.scope === 'system:day')!;
  expect(day.settledUsd).toBeCloseTo(0.1, 9);
  // The bill of the task is what the call cost.
  expect(await gate.closeTask('t-outage', { usd: 0.1, tokens: 500 })).toMatchObject({ usd: 0.1, tokens: 500 });
}, 120_000);
