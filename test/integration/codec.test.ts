import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmCodec, ENCRYPTED_ENCODING, parseKeyList } from '../../src/codec';
import { startTask } from '../../src/client/submit-task';
import { ensureSweeperSchedule, sweeperScheduleId } from '../../src/client/sweeper-schedule';
import type { PantheonError } from '../../src/errors';
import { liveRuns } from '../../src/client/live-run';
import { taskState } from '../../src/client/tasks';
import { repoRoot } from '../../src/config/paths';
import { findTemporalCli } from '../../src/runtime/temporal-cli';
import { TaskInputSchema } from '../../src/tasks/task-input';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { checkEntitiesReadable } from '../../src/workers/readable-entities';
import { godQueueQuery, pauseUpdate } from '../../src/workflows/god-api';
import { runCli } from '../support/cli';
import { cliUntilListed } from '../support/visibility';
import { TaskSpecialist, TaskStatus } from '../../src/workflows/search-attributes';
import { killWorkerProcess, spawnWorkerProcess } from '../support/worker-process';
import { startTestGod } from '../support/god';
import { startHarness, testAddress, type Harness } from '../support/harness';

const KEYS = `k1:${randomBytes(32).toString('base64')},k2:${randomBytes(32).toString('base64')}`;
// A phrase no other part of the history could produce by chance.
const MARKER = 'orders_ledger_codec_probe';
const OBJECTIVE = `Add a created_at column with an index to the ${MARKER} table in Postgres`;

/**
 * Whether the objective is readable anywhere in a history: in its text, or inside any payload
 * `data` (raw bytes from the SDK, base64 strings in the CLI's JSON).
 */
function revealsObjective(history: unknown): boolean {
  let found = false;
  const visit = (node: unknown, key?: string): void => {
    if (found || node === null || node === undefined) return;
    if (node instanceof Uint8Array) found = Buffer.from(node).toString('utf8').includes(MARKER);
    else if (typeof node === 'string') found = node.includes(MARKER) || (key === 'data' && Buffer.from(node, 'base64').toString('utf8').includes(MARKER));
    else if (Array.isArray(node)) node.forEach((n) => visit(n));
    else if (typeof node === 'object') for (const [k, v] of Object.entries(node)) visit(v, k);
  };
  visit(history);
  return found;
}

const run = promisify(execFile);

async function cliShow(workflowId: string, extra: string[] = []): Promise<unknown> {
  const cli = await findTemporalCli({ install: false });
  const { stdout } = await run(cli, ['workflow', 'show', '--workflow-id', workflowId, '--address', testAddress(), '--output', 'json', ...extra], { maxBuffer: 32 * 1024 * 1024 });
  return JSON.parse(stdout);
}

/** A host name the codec server is told to answer besides its own (PANTHEON_CODEC_ALLOWED_HOSTS). */
const ALLOWED_HOST = 'codec.test.internal';

interface CodecServerProcess {
  url: string;
  child: ChildProcess;
  /** What it has written on stdout (its log, JSON lines) so far. */
  output(): string;
}

/** `npm run codec-server` as an operator runs it (node + tsx loader, so a kill reaches it). */
function startCodecServerProcess(keys: string): Promise<CodecServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot(), 'src', 'codec', 'serve.ts')], {
    cwd: repoRoot(),
    env: { ...process.env, PANTHEON_CODEC_KEYS: keys, PANTHEON_CODEC_PORT: '0', PANTHEON_CODEC_ALLOWED_HOSTS: ALLOWED_HOST, LOG_LEVEL: 'warn', PANTHEON_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /codec server listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1], child, output: () => out });
    });
    child.stderr!.on('data', (d) => (err += d));
    child.once('exit', (code) => reject(new Error(`codec server exited ${code}: ${err}`)));
  });
}

let h: Harness;
let server: CodecServerProcess | undefined;
let outcome: TaskOutcome;
let taskId: string;

beforeAll(async () => {
  [h, server] = await Promise.all([startHarness('codec', { codec: new AesGcmCodec(parseKeyList(KEYS)) }), startCodecServerProcess(KEYS)]);
  taskId = `codec-task-${Date.now()}`;
  outcome = await (await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: OBJECTIVE }), taskId)).result();
});

afterAll(async () => {
  if (server?.child.exitCode === null) {
    const exited = new Promise((r) => server!.child.once('exit', r));
    server.child.kill('SIGTERM');
    await exited;
  }
  await h?.stop();
});

describe('encrypted payloads on a real Temporal server', () => {
  it('runs a task end to end with the codec, and its raw history holds only ciphertext', async () => {
    expect(outcome.status).toBe('completed');
    expect(outcome.result).toMatch(/CREATE|ALTER/);

    // A client without the codec sees what the server stores.
    const connection = await Connection.connect({ address: testAddress() });
    try {
      const history = await new Client({ connection }).workflow.getHandle(taskId).fetchHistory();
      const started = history.events![0].workflowExecutionStartedEventAttributes!;
      const input = started.input!.payloads![0];
      expect(Buffer.from(input.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
      expect(Buffer.from(input.metadata!['encryption-key-id']!).toString()).toBe('k2');
      expect(revealsObjective(history)).toBe(false);
    } finally {
      await connection.close();
    }
    expect(revealsObjective(await cliShow(taskId))).toBe(false);
  });

  it('shows the task decrypted through `npm run codec-server` with temporal workflow show --codec-endpoint', async () => {
    expect(revealsObjective(await cliShow(taskId, ['--codec-endpoint', server!.url]))).toBe(true);
  });

  it('shows a history through the codec server though one of its payloads was written with a key the server lacks: that one stays encoded, the rest decrypted, the key id logged', async () => {
    const id = `codec-old-key-${Date.now()}`;
    const oldKey = randomBytes(32).toString('base64');
    const connection = await Connection.connect({ address: testAddress() });
    try {
      // Started under a key since dropped (k0); signalled under the current keys. No worker polls it.
      const old = new Client({ connection, dataConverter: { payloadCodecs: [new AesGcmCodec(parseKeyList(`k0:${oldKey}`))] } });
      await old.workflow.start('codecProbe', { workflowId: id, taskQueue: `${h.taskQueue}-nobody`, args: [{ note: 'written under k0' }] });
      await h.client.workflow.getHandle(id).signal('note', { note: OBJECTIVE });

      const shown = (await cliShow(id, ['--codec-endpoint', server!.url])) as { events: Array<Record<string, { input?: { payloads: Array<{ metadata?: Record<string, string> }> } }>> };
      expect(revealsObjective(shown)).toBe(true);
      const input = shown.events[0].workflowExecutionStartedEventAttributes!.input!.payloads[0];
      expect(Buffer.from(input.metadata!.encoding, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
      expect(Buffer.from(input.metadata!['encryption-key-id'], 'base64').toString()).toBe('k0');

      const warning = server!
        .output()
        .split('\n')
        .filter((line) => line.includes('"keyId":"k0"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(warning[0]).toMatchObject({ level: 40, keyId: 'k0', payloads: 1, msg: 'left 1 payload(s) of key id "k0" encoded: this codec server cannot decrypt them' });
      expect(warning[0].reason).toMatch(/key id "k0": no key with that id is configured \(configured: k1, k2\)/);
      for (const key of [oldKey, ...KEYS.split(',').map((entry) => entry.split(':')[1])]) expect(server!.output()).not.toContain(key);
    } finally {
      await h.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      await connection.close();
    }
  });

  it('`npm run codec-server` answers a Host of PANTHEON_CODEC_ALLOWED_HOSTS and refuses another (DNS rebinding) with 403, the names it answers logged but not told the caller', async () => {
    const port = new URL(server!.url).port;
    const decode = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(`${server!.url}/decode`, { method: 'POST', headers: { Host: host, 'Content-Type': 'application/json' } }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
        req.end('{}');
      });
    expect((await decode(`${ALLOWED_HOST}:${port}`)).status).toBe(200);
    expect((await decode(`localhost:${port}`)).status).toBe(200);
    const refused = await decode(`rebound.attacker.example:${port}`);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error).toMatch(/^Host "rebound\.attacker\.example:\d+" is not a name of this codec server: refused, as a page reaching it by DNS rebinding would be/);
    expect(refused.body).not.toContain(ALLOWED_HOST);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server!.output()).toContain(`Host \\"rebound.attacker.example:${port}\\" is not a name of this codec server (it answers localhost, 127.0.0.1, ::1, ${ALLOWED_HOST};`);
  });

  it("reads a running task's specialist checkpoint through the codec; on the server it is ciphertext, and a client without the key shows none", async () => {
    const id = `codec-live-${Date.now()}`;
    // The task's 2nd specialist call takes 6 s: the run waits there, its first iteration checkpointed.
    h.provider.setFaults([{ kind: 'slow', delayMs: 6_000, match: { task: id, purpose: 'specialist' }, calls: [2] }]);
    const connection = await Connection.connect({ address: testAddress() });
    try {
      const objective = [OBJECTIVE, '- add the column', '- add the index', '- backfill it'].join('\n');
      await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective, specialist: 'DatabaseAgent' }), id);
      let live: Awaited<ReturnType<typeof taskState>>['live'];
      for (let deadline = Date.now() + 20_000; Date.now() < deadline && !live?.length; ) {
        ({ live } = await taskState(h.client, id));
        if (!live?.length) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(live).toEqual([expect.objectContaining({ activity: 'runSpecialist', iteration: 1, tokens: expect.any(Number) })]);
      expect(live![0].tokens).toBeGreaterThan(0);

      const bare = new Client({ connection });
      const { raw } = await bare.workflow.getHandle(id).describe();
      const details = raw.pendingActivities?.find((p) => p.activityType?.name === 'runSpecialist')?.heartbeatDetails?.payloads?.[0];
      expect(Buffer.from(details!.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
      // Without the key the checkpoint cannot be read: no live line, and no failure (the state query fails on its own).
      expect(await liveRuns(bare.workflow.options.loadedDataConverter, raw.pendingActivities, Date.now())).toEqual([]);
    } finally {
      h.provider.setFaults([]);
      await h.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      await connection.close();
    }
  });

  it('a second codec server on a port in use stops, naming PANTHEON_CODEC_PORT and the address', async () => {
    const port = new URL(server!.url).port;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot(), 'src', 'codec', 'serve.ts')], {
      cwd: repoRoot(),
      env: { ...process.env, PANTHEON_CODEC_KEYS: KEYS, PANTHEON_CODEC_PORT: port, LOG_LEVEL: 'warn', PANTHEON_LOG_FORMAT: 'json' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^error: config_invalid: environment variable PANTHEON_CODEC_PORT: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
  });

  it('pantheon status without the keys says the payloads are encrypted and which variable holds the keys', async () => {
    const run = await runCli(['status', taskId], { TEMPORAL_ADDRESS: testAddress() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Unknown encoding: binary\/encrypted \(the payloads are encrypted: set PANTHEON_CODEC_KEYS or PANTHEON_CODEC_KEY_FILE to the keys the workers use\)/);
  });

  it("submit through God without the keys: God's answer cannot be read, and the error names the id God queued", async () => {
    const godId = `codec-god-${Date.now()}`;
    const god = await startTestGod(h.client, { id: godId, taskQueue: h.taskQueue });
    try {
      // Paused, God queues the task and starts nothing: no task of this test carries God's
      // encrypted memo into the shared server's task lists, which other files read without keys.
      await god.executeUpdate(pauseUpdate, { args: [{ reason: 'the codec test holds its tasks' }] });
      const id = `codec-via-god-${Date.now()}`;
      const run = await runCli(['submit', OBJECTIVE, '--id', id], { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: h.taskQueue, PANTHEON_GOD_ID: godId });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/Unknown encoding: binary\/encrypted/);
      expect(run.stderr).toContain(`God may have queued the task before this failed: its id is ${id}; \`pantheon status ${id}\` shows it, and submitting it again with \`--id ${id}\` is safe`);
      // It had: God holds it under that id.
      expect((await god.query(godQueueQuery)).map((q) => q.taskId)).toContain(id);
    } finally {
      await god.terminate('test over').catch(() => undefined);
    }
  });

  it('pantheon list and the status overview work without the keys, though a task carries an encrypted memo', async () => {
    const id = `codec-memo-${Date.now()}`;
    const mine = `CodecMemo${Date.now()}`;
    // As God starts a task: its decision in the memo, encrypted; the search attributes plaintext.
    await h.client.workflow.start('agentTask', {
      workflowId: id,
      taskQueue: `${h.taskQueue}-nobody`,
      args: [{ objective: OBJECTIVE }],
      memo: { godDecision: 'route → DatabaseAgent (main)' },
      typedSearchAttributes: [
        { key: TaskStatus, value: 'queued' },
        { key: TaskSpecialist, value: mine },
      ],
    });
    try {
      const env = { TEMPORAL_ADDRESS: testAddress() };
      const listed = await cliUntilListed(['list', '--specialist', mine], env, (out) => out.includes(id));
      expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+queued\\s+${mine}`, 'm'));
      const overview = await runCli(['status', '--json'], env);
      expect({ code: overview.code, stderr: overview.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(overview.stdout).inProgress.map((row: { id: string }) => row.id)).toContain(id);
    } finally {
      await h.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    }
  });

  it('pantheon dlq redrive reads the dead letter\'s encrypted input with the keys and starts it again', async () => {
    const id = `codec-dlq-${Date.now()}`;
    h.provider.addFault({ kind: 'quota_exhausted', match: { task: id, purpose: 'specialist' }, times: 1 });
    const ended = await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: OBJECTIVE }), id);
    await expect(ended.result()).rejects.toThrow();
    const run = await runCli(['dlq', 'redrive', id], { TEMPORAL_ADDRESS: testAddress(), PANTHEON_CODEC_KEYS: KEYS });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`${id}: redriven as ${id}-redrive`);
    const redriven = await h.client.workflow.getHandle<() => Promise<TaskOutcome>>(`${id}-redrive`).result();
    expect(redriven).toMatchObject({ status: 'completed', objective: OBJECTIVE.slice(0, 200) });
  });

  it('without the keys, dlq list still lists every dead letter, naming the encrypted one, and dlq redrive starts nothing and says why', async () => {
    const id = `codec-dlq-nokey-${Date.now()}`;
    h.provider.addFault({ kind: 'quota_exhausted', match: { task: id, purpose: 'specialist' }, times: 1 });
    const ended = await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: OBJECTIVE }), id);
    await expect(ended.result()).rejects.toThrow();
    const env = { TEMPORAL_ADDRESS: testAddress() };
    const list = await runCli(['dlq', 'list', '--limit', '1000'], env);
    expect({ code: list.code, stderr: list.stderr }).toEqual({ code: 0, stderr: '' });
    expect(list.stdout).toContain(`${id}  (its outcome is encrypted with a key this shell lacks: set PANTHEON_CODEC_KEYS or PANTHEON_CODEC_KEY_FILE`);
    const redrive = await runCli(['dlq', 'redrive', id], env);
    expect(redrive.code).toBe(1);
    expect(redrive.stdout).toContain(`${id}: not redriven, its input is encrypted`);
    expect(redrive.stderr).toMatch(new RegExp(`^error: config_invalid: 1 dead letter\\(s\\) not redriven \\(${id}\\): .*PANTHEON_CODEC_KEYS`));
    await expect(h.client.workflow.getHandle(`${id}-redrive`).describe()).rejects.toThrow(/not found/i);
  });

  it('a worker without the keys that wrote its sweeper Schedule is told which Schedule and the ways out', async () => {
    const taskQueue = `codec-schedule-${Date.now()}`;
    expect(await ensureSweeperSchedule(h.client, { taskQueue, every: '15m', policy: 'flag' })).toMatchObject({ schedule: 'created' });
    const connection = await Connection.connect({ address: testAddress() });
    try {
      const err = (await ensureSweeperSchedule(new Client({ connection }), { taskQueue, every: '15m', policy: 'flag' }).catch((e: unknown) => e)) as PantheonError;
      expect(err.type).toBe('config_invalid');
      expect(err.message).toContain(`Schedule ${sweeperScheduleId(taskQueue)} was written with encrypted payloads this process cannot read`);
      expect(err.message).toContain(`temporal schedule delete --schedule-id ${sweeperScheduleId(taskQueue)}`);
    } finally {
      await connection.close();
      await h.client.schedule.getHandle(sweeperScheduleId(taskQueue)).delete();
    }
  });

  it("a worker whose keys lack the one the running ledger was written with refuses to start, naming the ledger and the keys' variables", async () => {
    const connection = await Connection.connect({ address: testAddress() });
    try {
      // Only the newer key: the ledger's run was started under k2 too, so drop k2 and keep a new one.
      const without = new Client({ connection, dataConverter: { payloadCodecs: [new AesGcmCodec(parseKeyList(`k3:${randomBytes(32).toString('base64')}`))] } });
      const err = (await checkEntitiesReadable(without, [{ workflowId: h.gate.ledgerId, name: 'the budget ledger' }]).catch((e: unknown) => e)) as PantheonError;
      expect(err.type).toBe('config_invalid');
      expect(err.message).toMatch(new RegExp(`^the budget ledger \\(workflow ${h.gate.ledgerId}\\) runs with payloads this process cannot read \\(.*key id "k2": no key with that id is configured \\(configured: k3\\).*\\): list the key that wrote them in PANTHEON_CODEC_KEYS or PANTHEON_CODEC_KEY_FILE`));
      // With no keys at all, the same.
      await expect(checkEntitiesReadable(new Client({ connection }), [{ workflowId: h.gate.ledgerId, name: 'the budget ledger' }])).rejects.toThrow(/Unknown encoding: binary\/encrypted/);
      // With the keys, and for ids no workflow has, nothing to say.
      await checkEntitiesReadable(h.client, [{ workflowId: h.gate.ledgerId, name: 'the budget ledger' }, { workflowId: `no-god-${Date.now()}`, name: 'God' }]);

      // A worker process so configured stops before it serves anything.
      const worker = spawnWorkerProcess({ PANTHEON_TASK_QUEUE: `codec-nokey-${Date.now()}`, PANTHEON_LEDGER_ID: h.gate.ledgerId, PANTHEON_CODEC_KEYS: `k3:${randomBytes(32).toString('base64')}` });
      let stderr = '';
      worker.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      try {
        const code = await new Promise((resolve) => worker.once('exit', resolve));
        expect(code).toBe(1);
        expect(stderr).toContain(`config_invalid: the budget ledger (workflow ${h.gate.ledgerId}) runs with payloads this process cannot read`);
      } finally {
        await killWorkerProcess(worker);
      }
    } finally {
      await connection.close();
    }
  });

  it("a worker's start check names God when God's memo was written with a key the worker lacks (continue-as-new carries a memo as it was stored)", async () => {
    const id = `codec-god-memo-${Date.now()}`;
    // As God's run after a key rotation: its input under the current key, the memo its first
    // start wrote (pantheonStartNonce) still under the old one, which the server copies run to run.
    const [input] = await new AesGcmCodec(parseKeyList(KEYS)).encode([defaultPayloadConverter.toPayload({ config: {} })]);
    const [nonce] = await new AesGcmCodec(parseKeyList(`k0:${randomBytes(32).toString('base64')}`)).encode([defaultPayloadConverter.toPayload('a nonce')]);
    await h.client.workflowService.startWorkflowExecution({
      namespace: 'default',
      workflowId: id,
      workflowType: { name: 'codecProbe' },
      taskQueue: { name: `${h.taskQueue}-nobody` },
      input: { payloads: [input] },
      memo: { fields: { pantheonStartNonce: nonce } },
      identity: 'codec.test',
      requestId: randomUUID(),
    });
    try {
      const err = (await checkEntitiesReadable(h.client, [{ workflowId: id, name: 'God' }]).catch((e: unknown) => e)) as PantheonError;
      expect(err.type).toBe('config_invalid');
      expect(err.message).toMatch(new RegExp(`^God \\(workflow ${id}\\) runs with payloads this process cannot read \\(.*key id "k0": no key with that id is configured \\(configured: k1, k2\\).*\\): list the key that wrote them in PANTHEON_CODEC_KEYS`));
      expect(err.details).toEqual({ workflowId: id });
    } finally {
      await h.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    }
  });

  it('a client with the wrong key fails to read the result with an error naming the key id', async () => {
    const connection = await Connection.connect({ address: testAddress() });
    try {
      const wrong = new AesGcmCodec(parseKeyList(`k2:${randomBytes(32).toString('base64')}`));
      const client = new Client({ connection, dataConverter: { payloadCodecs: [wrong] } });
      await expect(client.workflow.getHandle(taskId).result()).rejects.toThrow(/key id "k2": authentication failed/);
      const unknown = new Client({ connection, dataConverter: { payloadCodecs: [new AesGcmCodec(parseKeyList(`k9:${randomBytes(32).toString('base64')}`))] } });
      await expect(unknown.workflow.getHandle(taskId).result()).rejects.toThrow(/key id "k2": no key with that id is configured \(configured: k9\)/);
    } finally {
      await connection.close();
    }
  });
});
