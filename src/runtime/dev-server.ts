import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PantheonError, isPantheonError } from '../errors';
import { repoRoot } from '../config/paths';
import { ALL_SEARCH_ATTRIBUTES, SEARCH_ATTRIBUTE_CLI_TYPES } from '../workflows/search-attributes';
import { findFreePort } from './free-port';
import { connectWhenReady } from './connect';
import { ensureSearchAttributes, type AnySearchAttributeKey } from './search-attributes';
import { findTemporalCli } from './temporal-cli';
import { forgetServer, recordServer, stopOrphanedServer } from './orphan-server';

/**
 * Runs `temporal server start-dev` as a child process: Temporal with SQLite persistence and the
 * Web UI in one binary, the zero-setup runtime for a laptop and for tests.
 */

export interface DevServerOptions {
  /** gRPC port; 0 picks a free one. Undefined means 7233, except under Jest where it also picks a free one. */
  port?: number;
  /** Where picked ports come from (default: the OS, findFreePort); tests hand out a taken one. */
  freePort?: () => Promise<number>;
  /** Web UI port; 0 picks a free one. Undefined means port + 1000 (the CLI's rule), or a free one when port was picked. */
  uiPort?: number;
  /** SQLite file; null keeps everything in memory. Default `<repo>/.data/temporal.sqlite` (in memory under Jest). */
  dbFile?: string | null;
  /** No Web UI. */
  headless?: boolean;
  /** Created at launch when not 'default' (which always exists). */
  namespace?: string;
  /** Where the server's stdout and stderr go; default `<repo>/.data/temporal-server-<port>.log` (the temp dir under Jest). */
  logFile?: string;
  /** How long to wait for the server to answer; default 60 s. */
  startTimeoutMs?: number;
  /** Grace period between SIGTERM and SIGKILL on stop; default 10 s. */
  stopGraceMs?: number;
  /** The search attributes to register; default all of Pantheon's. */
  searchAttributes?: readonly AnySearchAttributeKey[];
}

export interface DevServer {
  /** `host:port` of the gRPC frontend. */
  address: string;
  /** Undefined when headless. */
  uiUrl?: string;
  namespace: string;
  pid: number;
  logFile: string;
  /** Settles with how the process ended (e.g. 'signal SIGTERM'), whoever ended it. */
  exited: Promise<string>;
  /** The pid of a dev server an earlier run left running on the same SQLite file when it died,
   * stopped before this one started (see orphan-server.ts). */
  stoppedOrphan?: number;
  stop(): Promise<void>;
}

// The dev server binds 127.0.0.1 for "localhost"; naming the IP keeps Node from trying ::1 first.
const HOST = '127.0.0.1';

/** The flags, separate from spawning so the choice of flags can be read (and tested) on its own. */
export function devServerArgs(o: {
  port: number;
  uiPort?: number;
  dbFile: string | null;
  namespace: string;
  searchAttributes: readonly AnySearchAttributeKey[];
}): string[] {
  const args = ['server', 'start-dev', '--ip', HOST, '--port', String(o.port)];
  if (o.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(o.uiPort), '--ui-disable-news-fetch');
  if (o.dbFile !== null) {
    // WAL lets readers (the UI, `temporal workflow list`) proceed while history is written, and
    // synchronous=normal is durable across process crashes in WAL mode at a fraction of the fsyncs.
    args.push('--db-filename', o.dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  if (o.namespace !== 'default') args.push('--namespace', o.namespace);
  for (const key of o.searchAttributes) args.push('--search-attribute', `${key.name}=${SEARCH_ATTRIBUTE_CLI_TYPES[key.type]}`);
  args.push('--log-level', 'warn');
  return args;
}

/** Starts with picked ports that a moment later turned out taken are tried again, with new ones. */
const PICKED_PORT_ATTEMPTS = 3;

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  // Under Jest, test files run in parallel workers: defaults that would make them share a port or
  // one SQLite file (which two servers would corrupt) become a free port, in-memory and a temp log.
  const underJest = process.env.JEST_WORKER_ID !== undefined;
  const pickPort = options.port === 0 || (options.port === undefined && underJest);
  const pickUiPort = !options.headless && (options.uiPort === 0 || (options.uiPort === undefined && pickPort));
  // Only when every port the server gets was picked here is a taken one surely ours to pick again.
  const allPicked = pickPort && (options.headless || pickUiPort);
  const freePort = options.freePort ?? (() => findFreePort(HOST));
  for (let attempt = 1; ; attempt++) {
    const port = pickPort ? await freePort() : (options.port ?? 7233);
    const uiPort = options.headless ? undefined : pickUiPort ? await freePort() : (options.uiPort ?? port + 1000);
    try {
      return await startOn(port, uiPort, options, underJest);
    } catch (err) {
      // A port picked free can be taken before the server binds it, by anyone, the CLI's own
      // services included (they pick theirs the same way): pick again. With a port the user chose,
      // the taken one may be theirs to change, as the error says.
      if (!allPicked || attempt >= PICKED_PORT_ATTEMPTS || !isPantheonError(err) || err.details?.portTaken !== true) throw err;
    }
  }
}

async function startOn(port: number, uiPort: number | undefined, options: DevServerOptions, underJest: boolean): Promise<DevServer> {
  const dataDir = underJest ? os.tmpdir() : path.join(repoRoot(), '.data');
  const dbFile = options.dbFile !== undefined ? options.dbFile : underJest ? null : path.join(dataDir, 'temporal.sqlite');
  const namespace = options.namespace ?? 'default';
  const searchAttributes = options.searchAttributes ?? ALL_SEARCH_ATTRIBUTES;
  const logFile = options.logFile ?? path.join(dataDir, `temporal-server-${port}.log`);
  if (dbFile !== null) fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  // A server an earlier run left on this file holds its ports and would share the SQLite file.
  const stoppedOrphan = dbFile === null ? undefined : await stopOrphanedServer(dbFile);

  const cli = await findTemporalCli();
  const args = devServerArgs({ port, uiPort, dbFile, namespace, searchAttributes });
  const logFd = fs.openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    // Own process group (detached): a Ctrl-C in the terminal reaches us, not the server, so we can
    // stop workers before the server; and stop() can signal the whole group.
    child = spawn(cli, args, { detached: true, stdio: ['ignore', logFd, logFd] });
  } finally {
    fs.closeSync(logFd);
  }
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`));
    child.once('error', (err) => resolve(`spawn error: ${err.message}`));
  });
  const pid = child.pid;
  // An orphaned server would keep the port and the SQLite file; take it down if we exit abruptly,
  // and, for an exit nothing can catch (SIGKILL), leave word for the next start to do it.
  if (dbFile !== null && pid !== undefined) recordServer(dbFile, pid, `${HOST}:${port}`);
  const forget = () => {
    if (dbFile !== null && pid !== undefined) forgetServer(dbFile, pid);
  };
  const killOnExit = () => {
    signalGroup(pid, 'SIGKILL');
    forget();
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null || pid === undefined) return forget();
      signalGroup(pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), options.stopGraceMs ?? 10_000)));
      const outcome = await Promise.race([exited, grace]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        signalGroup(pid, 'SIGKILL');
        await exited;
      }
      forget();
    })());

  const address = `${HOST}:${port}`;
  try {
    if (pid === undefined) throw new Error(await exited);
    const connection = await connectWhenReady(address, namespace, {
      timeoutMs: options.startTimeoutMs ?? 60_000,
      abandon: exited.then((why) => `the server exited (${why})`),
      attemptConnectMs: 1_000,
    });
    try {
      await ensureSearchAttributes(connection, namespace, searchAttributes);
    } finally {
      await connection.close();
    }
  } catch (err) {
    await stop();
    if (isPantheonError(err)) throw err; // e.g. a search attribute of the wrong type: already clear
    const log = tail(logFile, 20);
    const portTaken = log.includes('address already in use');
    const hint = portTaken
      ? `\nPort ${[port, uiPort].filter(Boolean).join(' or ')} is taken: is a Temporal server already running? ` +
        `Use it with TEMPORAL_ADDRESS=${address}, or choose other ports.`
      : '';
    throw PantheonError.of(
      'temporal_not_started',
      `Temporal dev server (${cli} ${args.join(' ')}) did not start: ${(err as Error).message}\n` +
        `--- last lines of ${logFile} ---\n${log}${hint}`,
      { cause: err, details: { address, logFile, portTaken } },
    );
  }
  const uiUrl = uiPort === undefined ? undefined : `http://localhost:${uiPort}`;
  return { address, uiUrl, namespace, pid: pid!, logFile, exited, ...(stoppedOrphan !== undefined && { stoppedOrphan }), stop };
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
