import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { msToTs } from '@temporalio/common/lib/time';
import { errorReport, exitCodeFor } from '../../src/client/exit';
import { repoRoot } from '../../src/config/paths';
import { startDevServer, type DevServer } from '../../src/runtime/dev-server';
import { findFreePort } from '../../src/runtime/free-port';
import { ensureSearchAttributes } from '../../src/runtime/search-attributes';
import { ensureTemporal } from '../../src/runtime/temporal';
import { ALL_SEARCH_ATTRIBUTES, TaskStatus } from '../../src/workflows/search-attributes';
import { testAddress } from '../support/harness';

/** name -> indexed value type, as the server should have them. */
const EXPECTED = Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((k) => [k.name, encodeSearchAttributeIndexedValueType(k.type)]));

async function pantheonAttributes(connection: Connection, namespace: string): Promise<Record<string, number>> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return Object.fromEntries(Object.entries(customAttributes ?? {}).filter(([name]) => name.startsWith('Pantheon')));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('local Temporal runtime', () => {
  let dir: string;
  let server: DevServer | undefined;
  let connection: Connection | undefined;
  const savedAddress = process.env.TEMPORAL_ADDRESS;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pantheon-runtime-'));
  });
  afterEach(async () => {
    await connection?.close();
    connection = undefined;
    await server?.stop();
    server = undefined;
    if (savedAddress === undefined) delete process.env.TEMPORAL_ADDRESS;
    else process.env.TEMPORAL_ADDRESS = savedAddress;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Servers the orphan test left behind should it fail: killed after it either way. */
  const orphans: number[] = [];
  const owners: ChildProcess[] = [];
  afterAll(() => {
    for (const child of owners) child.kill('SIGKILL');
    for (const pid of orphans) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone: stopped as an orphan should be.
      }
    }
  });

  /** A process that starts a dev server on `dbFile` (as `npm start` does); resolves once it answers. */
  async function serverOwner(dbFile: string, name: string) {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot(), 'test', 'support', 'dev-server-child.ts'), dbFile, path.join(dir, `${name}.log`)], {
      cwd: repoRoot(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString('utf8').trim()));
      child.once('exit', (code) => reject(new Error(`the owner exited (${code}): ${err}`)));
    });
    const [pid, address] = line.split(' ');
    return { child, serverPid: Number(pid), address };
  }

  const answers = (address: string) =>
    Connection.connect({ address, connectTimeout: 2_000 }).then(
      async (c) => {
        const ok = await c.workflowService.getSystemInfo({}).then(() => true, () => false);
        await c.close();
        return ok;
      },
      () => false,
    );

  it('stops a dev server a killed run left on the same SQLite file before starting again, and refuses one a live run owns', async () => {
    const dbFile = path.join(dir, 'orphaned.sqlite');
    const owner = await serverOwner(dbFile, 'orphan-1');
    orphans.push(owner.serverPid);
    owners.push(owner.child);
    // Its owner is alive: a second server on the file would share it. Refused, naming the first.
    const second = await startDevServer({ port: 0, headless: true, dbFile, logFile: path.join(dir, 'refused.log') }).then(
      async (started) => {
        await started.stop();
        return 'started a second server on the file';
      },
      (err: unknown) => err,
    );
    expect(second).toMatchObject({ type: 'temporal_not_started', message: expect.stringContaining(`in use by the Temporal dev server at ${owner.address} (pid ${owner.serverPid})`) });
    expect(await answers(owner.address)).toBe(true);

    // The owner dies outright (SIGKILL: no exit handler runs); its server lives on, orphaned.
    owner.child.kill('SIGKILL');
    await new Promise((r) => owner.child.once('exit', r));
    expect(await answers(owner.address)).toBe(true);

    server = await startDevServer({ port: 0, headless: true, dbFile, logFile: path.join(dir, 'orphan-2.log') });
    expect(server.stoppedOrphan).toBe(owner.serverPid);
    expect(await answers(owner.address)).toBe(false);
    expect(await answers(server.address)).toBe(true);
  });

  it('starts a dev server on free ports that answers, has the search attributes and a Web UI', async () => {
    const dbFile = path.join(dir, 'nested', 'first.sqlite');
    server = await startDevServer({ port: 0, uiPort: 0, dbFile, logFile: path.join(dir, 'first.log') });
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(server.namespace).toBe('default');
    expect(fs.existsSync(dbFile)).toBe(true);

    connection = await Connection.connect({ address: server.address });
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(await pantheonAttributes(connection, 'default')).toEqual(EXPECTED);

    const ui = await fetch(server.uiUrl!);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('<html');
  });

  it('stop() ends the process and frees the port', async () => {
    server = await startDevServer({ port: 0, headless: true, dbFile: null, logFile: path.join(dir, 'stop.log') });
    const { pid, address } = server;
    expect(server.uiUrl).toBeUndefined();
    expect(isAlive(pid)).toBe(true);
    await server.stop();
    expect(isAlive(pid)).toBe(false);
    await expect(server.exited).resolves.toMatch(/exit code 0|signal SIGTERM/);
    await server.stop(); // a second stop is harmless
    // Nothing answers on the port any more: it can be bound again.
    const port = Number(address.split(':')[1]);
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((r) => probe.close(r));
  });

  it('restarts on the same database file, keeps the namespace and adds search attributes the file lacks', async () => {
    const dbFile = path.join(dir, 'restart.sqlite');
    const namespace = 'pantheon-restart';
    // First run registers only one attribute, as an older Pantheon might have.
    server = await startDevServer({ port: 0, headless: true, dbFile, namespace, searchAttributes: [TaskStatus], logFile: path.join(dir, 'r1.log') });
    connection = await Connection.connect({ address: server.address });
    expect(Object.keys(await pantheonAttributes(connection, namespace))).toEqual(['PantheonStatus']);
    await connection.close();
    await server.stop();

    // The CLI ignores --search-attribute flags for a database that already exists; startDevServer
    // must register the rest itself.
    server = await startDevServer({ port: 0, headless: true, dbFile, namespace, logFile: path.join(dir, 'r2.log') });
    connection = await Connection.connect({ address: server.address });
    const described = await connection.workflowService.describeNamespace({ namespace });
    expect(described.namespaceInfo?.name).toBe(namespace);
    expect(await pantheonAttributes(connection, namespace)).toEqual(EXPECTED);
    const listed = await connection.workflowService.listWorkflowExecutions({ namespace, query: 'PantheonStatus = "running"' });
    expect(listed.executions).toEqual([]);
  });

  it('ensureSearchAttributes adds what is missing once and is a no-op after', async () => {
    server = await startDevServer({ port: 0, headless: true, dbFile: null, logFile: path.join(dir, 'sa.log') });
    connection = await Connection.connect({ address: server.address });
    // The dev server registered them at launch: nothing to do.
    expect(await ensureSearchAttributes(connection, 'default')).toEqual([]);

    // A namespace created later has none of them.
    const namespace = 'pantheon-late';
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    expect(await pantheonAttributes(connection, namespace)).toEqual({});
    expect((await ensureSearchAttributes(connection, namespace)).sort()).toEqual(ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
    expect(await ensureSearchAttributes(connection, namespace)).toEqual([]);
    expect(await pantheonAttributes(connection, namespace)).toEqual(EXPECTED);

    // An attribute of the same name but another type is a conflict, reported, not papered over.
    const clash = 'pantheon-clash';
    await connection.workflowService.registerNamespace({ namespace: clash, workflowExecutionRetentionPeriod: msToTs('1 day') });
    await connection.operatorService.addSearchAttributes({
      namespace: clash,
      searchAttributes: { [TaskStatus.name]: encodeSearchAttributeIndexedValueType('INT')! },
    });
    await expect(ensureSearchAttributes(connection, clash)).rejects.toMatchObject({
      type: 'config_invalid',
      message: expect.stringContaining('search attribute PantheonStatus exists in namespace pantheon-clash with another type'),
    });

    // A namespace whose Int slots (3 on SQL visibility, the dev server's too) another attribute takes one of.
    const crowded = 'pantheon-crowded';
    await connection.workflowService.registerNamespace({ namespace: crowded, workflowExecutionRetentionPeriod: msToTs('1 day') });
    await connection.operatorService.addSearchAttributes({ namespace: crowded, searchAttributes: { TeamPriority: encodeSearchAttributeIndexedValueType('INT')! } });
    await expect(ensureSearchAttributes(connection, crowded)).rejects.toMatchObject({
      type: 'config_invalid',
      message: expect.stringMatching(
        /^namespace pantheon-crowded has no room for Pantheon's search attributes of type Int: this server allows 3 per namespace, Pantheon needs 3 \(PantheonIterations, PantheonTokens, PantheonPolicyVersion\) and TeamPriority already takes one\. Run Pantheon in a namespace of its own \(TEMPORAL_NAMESPACE\)/,
      ),
    });
  });

  it('under Jest, startDevServer() without options uses a free port, memory and no UI port clash', async () => {
    server = await startDevServer({ headless: true });
    expect(server.address).not.toBe('127.0.0.1:7233');
    expect(server.logFile.startsWith(os.tmpdir())).toBe(true);
    expect(fs.readFileSync(server.logFile, 'utf8')).toContain('Temporal Persistence: in-memory');
  });

  it('ensureTemporal with an address starts nothing and leaves the server running on stop()', async () => {
    server = await startDevServer({ port: 0, headless: true, dbFile: null, logFile: path.join(dir, 'ext.log') });
    process.env.TEMPORAL_ADDRESS = server.address;
    const temporal = await ensureTemporal();
    expect(temporal.started).toBeUndefined();
    expect(temporal.address).toBe(server.address);
    expect(temporal.namespace).toBe('default');
    expect(temporal.uiUrl).toBe((process.env.TEMPORAL_UI_URL ?? 'http://localhost:8233').replace(/\/$/, ''));
    await temporal.stop();
    expect(isAlive(server.pid)).toBe(true);
    connection = await Connection.connect({ address: server.address });
    await expect(connection.workflowService.getSystemInfo({})).resolves.toBeDefined();
  });

  it('ensureTemporal without an address starts a dev server and stops it', async () => {
    delete process.env.TEMPORAL_ADDRESS;
    const temporal = await ensureTemporal({ namespace: 'pantheon-own', devServer: { port: 0, headless: true, dbFile: null, logFile: path.join(dir, 'own.log') } });
    expect(temporal.started).toBeDefined();
    expect(temporal.address).toBe(temporal.started!.address);
    expect(temporal.namespace).toBe('pantheon-own');
    expect(temporal.uiUrl).toBe('');
    connection = await Connection.connect({ address: temporal.address });
    expect(await pantheonAttributes(connection, 'pantheon-own')).toEqual(EXPECTED);
    await temporal.stop();
    expect(isAlive(temporal.started!.pid)).toBe(false);
  });

  it('ensureTemporal names the address when nothing answers there', async () => {
    const address = `127.0.0.1:${await findFreePort()}`;
    const started = Date.now();
    await expect(ensureTemporal({ address, connectTimeoutMs: 3_000 })).rejects.toMatchObject({
      type: 'temporal_unavailable',
      message: expect.stringContaining(`Temporal at ${address} (namespace default) does not answer: no answer from ${address} within 3000 ms`),
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('ensureTemporal against a server without the namespace says so, naming TEMPORAL_NAMESPACE, exit 1 (not a server to wait for)', async () => {
    // Before, npm start waited its whole connect timeout and called the server down (exit 75).
    const err = await ensureTemporal({ address: testAddress(), namespace: 'pantheon-no-such-namespace', connectTimeoutMs: 30_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'config_invalid', details: { variable: 'TEMPORAL_NAMESPACE', namespace: 'pantheon-no-such-namespace' } });
    expect((err as Error).message).toContain('the Temporal server has no namespace "pantheon-no-such-namespace": TEMPORAL_NAMESPACE');
    expect(exitCodeFor(err)).toBe(1);
    // A command's call that meets the server's own answer is told the same.
    connection = await Connection.connect({ address: testAddress() });
    const raw = await connection.workflowService.describeNamespace({ namespace: 'pantheon-no-such-namespace' }).catch((e: unknown) => e);
    expect(errorReport(raw)).toContain('(the Temporal server has no namespace "pantheon-no-such-namespace": TEMPORAL_NAMESPACE');
  });

  it('fails fast with the log tail when the port is taken', async () => {
    const blocker = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const started = Date.now();
    try {
      const failed = startDevServer({ port, headless: true, dbFile: null, logFile: path.join(dir, 'taken.log') });
      await expect(failed).rejects.toThrow(new RegExp(`did not start: the server exited \\(exit code 1\\)[\\s\\S]*address already in use[\\s\\S]*Port ${port} is taken`));
      // Not "try again later" (exit 75): the port stays taken until someone acts.
      await expect(failed).rejects.toMatchObject({ type: 'temporal_not_started' });
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('picks another port when the one it picked is taken before the server binds it', async () => {
    const blocker = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    const picked: number[] = [];
    // The first pick is taken meanwhile (as by the CLI's own services, which pick theirs alike).
    const freePort = async () => {
      const port = picked.length === 0 ? taken : await findFreePort();
      picked.push(port);
      return port;
    };
    let server: Awaited<ReturnType<typeof startDevServer>> | undefined;
    try {
      server = await startDevServer({ port: 0, freePort, headless: true, dbFile: null, logFile: path.join(dir, 'picked-again.log') });
      expect(picked).toHaveLength(2);
      expect(server.address).toBe(`127.0.0.1:${picked[1]}`);
    } finally {
      await server?.stop();
      await new Promise((r) => blocker.close(r));
    }
  });
});
