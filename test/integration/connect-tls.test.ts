import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadTemporalConnection, workerConnectionOptions } from '../../src/config/temporal-connection';
import { ensureTemporal } from '../../src/runtime/temporal';
import { SPEAKS_TLS_HINT } from '../../src/runtime/tls-check';
import { runCli, stderrBeyondProgress } from '../support/cli';
import { installQuietRuntime, testAddress } from '../support/harness';
import { removeWorkerLeftovers } from '../support/leftovers';
import { generateTestPki, type TestPki } from '../support/tls-certs';
import { startTlsTerminator, type TlsTerminator } from '../support/tls-terminator';
import { killWorkerProcess, spawnWorkerProcess } from '../support/worker-process';

/**
 * Pantheon against a Temporal server reachable only over mutual TLS: the suite's dev server behind
 * a TLS terminator that demands a client certificate from the test CA. Client and worker get their
 * connection only from TEMPORAL_* variables or a temporal.toml profile, as the Temporal CLI does.
 */

const API_KEY = 'pantheon-test-api-key-never-logged';
const run = `mtls-${process.pid}-${Date.now()}`;
let dir: string;
let pki: TestPki;
let proxy: TlsTerminator;
let configFile: string;
let plain: Connection;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  installQuietRuntime();
  dir = fs.mkdtempSync(path.join(process.env.PANTHEON_TEST_DIR ?? '/tmp', 'mtls-'));
  pki = generateTestPki(path.join(dir, 'pki'));
  proxy = await startTlsTerminator({ target: testAddress(), cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert });
  configFile = path.join(dir, 'temporal.toml');
  const tls = (cert?: string, key?: string) =>
    [`server_ca_cert_path = "${pki.caCert}"`, 'server_name = "localhost"', ...(cert && key ? [`client_cert_path = "${cert}"`, `client_key_path = "${key}"`] : [])].join('\n');
  fs.writeFileSync(
    configFile,
    [
      ['[profile.mtls]', `address = "${proxy.address}"`, 'namespace = "default"', '[profile.mtls.tls]', tls(pki.clientCert, pki.clientKey)],
      ['[profile.no-cert]', `address = "${proxy.address}"`, '[profile.no-cert.tls]', tls()],
    ]
      .map((lines) => lines.join('\n'))
      .join('\n\n'),
  );
  plain = await Connection.connect({ address: testAddress() });
});

afterAll(async () => {
  if (worker) await killWorkerProcess(worker);
  if (plain) await removeWorkerLeftovers(new Client({ connection: plain }), { taskQueue: `${run}-tasks`, ledgerId: `${run}-ledger` });
  await plain?.close();
  await proxy?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('connecting over mutual TLS with the SDK environment configuration', () => {
  it('a worker configured by TEMPORAL_TLS_* variables and a CLI configured by a temporal.toml profile run a task', async () => {
    const taskQueue = `${run}-tasks`;
    const before = proxy.accepted;
    worker = spawnWorkerProcess(
      {
        TEMPORAL_ADDRESS: proxy.address,
        TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert,
        TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKey,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCert,
        TEMPORAL_TLS_SERVER_NAME: 'localhost',
        // The dev server ignores it; here to show the worker never logs it.
        TEMPORAL_API_KEY: API_KEY,
        PANTHEON_TASK_QUEUE: taskQueue,
        PANTHEON_BUDGET_TASK_QUEUE: `${taskQueue}-budget`,
        PANTHEON_LEDGER_ID: `${run}-ledger`,
        PANTHEON_MEMORY_FILE: path.join(dir, 'memory.sqlite'),
        LOG_LEVEL: 'info',
      },
      { stdout: 'pipe' },
    );
    let logs = '';
    worker.stdout!.on('data', (d) => (logs += d));
    worker.stderr!.on('data', (d) => (logs += d));

    const id = `${run}-task`;
    const cli = await runCli(['submit', 'Add a unique index on users.email in the Postgres database', '--direct', '--wait', '--id', id], {
      TEMPORAL_CONFIG_FILE: configFile,
      TEMPORAL_PROFILE: 'mtls',
      PANTHEON_TASK_QUEUE: taskQueue,
    });
    expect({ code: cli.code, stderr: stderrBeyondProgress(cli.stderr), logs: cli.code === 0 ? '' : logs }).toEqual({ code: 0, stderr: '', logs: '' });
    expect(cli.stdout).toMatch(/status\s+completed/);

    // The suite's own plaintext view: the task ran on the TLS worker's queue.
    const description = await new Client({ connection: plain }).workflow.getHandle(id).describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.taskQueue).toBe(taskQueue);
    // The CLI's client, the worker's client and the worker's native (Rust core) connection.
    expect(proxy.accepted - before).toBeGreaterThanOrEqual(3);

    const connecting = logs.split('\n').find((line) => line.includes('connecting to Temporal at'));
    expect(connecting).toBeDefined();
    expect(JSON.parse(connecting!).temporal).toEqual({
      addressFrom: 'TEMPORAL_ADDRESS',
      configFile: process.env.TEMPORAL_CONFIG_FILE,
      profile: 'default',
      apiKeyStatus: 'set',
      tls: 'on',
      clientCert: pki.clientCert,
      serverCa: pki.caCert,
      serverName: 'localhost',
    });
    expect(logs).not.toContain(API_KEY);
    expect(logs).not.toContain(fs.readFileSync(pki.clientKey, 'utf8').split('\n')[1]);
  });

  it('refuses a CLI client without a client certificate, saying the server requires one', async () => {
    const refusedBefore = proxy.refusals.length;
    const cli = await runCli(['status'], { TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'no-cert' });
    // Temporal not reachable (as configured): EX_TEMPFAIL, not the 1 of bad input.
    expect(cli.code).toBe(75);
    expect(cli.stdout).toBe('');
    // Its own type (not a memory store's), and the settings set apart from the cause by a full stop.
    expect(cli.stderr).toContain(`error: temporal_unavailable: cannot reach Temporal at ${proxy.address} (profile "no-cert" in ${configFile}), namespace default, api key: unset, tls: on, server CA ${pki.caCert}, server name localhost. Failed to connect`);
    expect(cli.stderr).toMatch(/TLS handshake failed \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\): the server requires a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/);
    expect(proxy.refusals.slice(refusedBefore).join('\n')).toMatch(/peer did not return a certificate/);
  });

  it('refuses a worker connection without a client certificate, or with one from another CA', async () => {
    const noCert = loadTemporalConnection({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'no-cert' });
    const noCertBefore = proxy.refusals.length;
    // The core reports the server's "certificate required" alert, or, when the close wins the race,
    // the broken pipe, the closed connection or a connection closed before it was ready; the
    // proxy's log below says why it refused.
    await expect(NativeConnection.connect(workerConnectionOptions(noCert))).rejects.toThrow(/CertificateRequired|broken pipe|connection closed|connection was not ready/);
    expect(proxy.refusals.slice(noCertBefore).join('\n')).toMatch(/peer did not return a certificate/);
    const stranger = loadTemporalConnection({
      TEMPORAL_ADDRESS: proxy.address,
      TEMPORAL_TLS_CLIENT_CERT_PATH: pki.strangerCert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: pki.strangerKey,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCert,
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
    });
    const acceptedBefore = proxy.accepted;
    // Node's TLS server drops the connection without an alert here, so the core reports only an EOF
    // ("transport error"), or, when the drop races its request, a connection closed under it.
    await expect(NativeConnection.connect(workerConnectionOptions(stranger))).rejects.toThrow(/transport error|connection closed/);
    expect(proxy.accepted).toBe(acceptedBefore); // nothing reached the server
  });

  it('tells a client without TLS at the TLS port that the server speaks TLS (it said only "Failed to connect before the deadline"), and a TLS client at the plaintext port that it does not; a port nothing listens on is told neither', async () => {
    const [plaintext, tlsAtPlain, nothing] = await Promise.all([
      runCli(['status'], { TEMPORAL_ADDRESS: proxy.address }),
      runCli(['status'], { TEMPORAL_ADDRESS: testAddress(), TEMPORAL_TLS: 'true' }),
      runCli(['status'], { TEMPORAL_ADDRESS: '127.0.0.1:1' }),
    ]);
    for (const run of [plaintext, tlsAtPlain, nothing]) expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 75, stdout: '' });
    expect(plaintext.stderr).toContain(
      `error: temporal_unavailable: cannot reach Temporal at ${proxy.address} (TEMPORAL_ADDRESS), namespace default, api key: unset, tls: off. Failed to connect before the deadline: ${SPEAKS_TLS_HINT} (is the server up?`,
    );
    expect(tlsAtPlain.stderr).toMatch(/TLS handshake failed \(ERR_SSL_WRONG_VERSION_NUMBER\): the server does not speak TLS here: set TEMPORAL_TLS=false/);
    expect(nothing.stderr).toMatch(/^error: temporal_unavailable: cannot reach Temporal at 127\.0\.0\.1:1 /);
    expect(nothing.stderr).not.toMatch(/speaks TLS|speak TLS/);
    // `npm start`'s check of an existing server says the same after its wait.
    await expect(ensureTemporal({ connection: loadTemporalConnection({ TEMPORAL_ADDRESS: proxy.address }), connectTimeoutMs: 2_000 })).rejects.toThrow(SPEAKS_TLS_HINT);
  });

  it("npm start's check uses the profile's server (registering search attributes over mTLS) and starts no dev server", async () => {
    const temporal = await ensureTemporal({ connection: loadTemporalConnection({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'mtls' }) });
    expect(temporal.started).toBeUndefined();
    expect(temporal.address).toBe(proxy.address);
    expect(temporal.connection.summary).toMatchObject({ tls: 'on', clientCert: pki.clientCert, addressFrom: `profile "mtls" in ${configFile}` });
    await temporal.stop();
  });
});
