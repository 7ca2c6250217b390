import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { PantheonError } from '../errors';

/**
 * The dev server a process started on a SQLite file, remembered beside the file, so that a later
 * start can tell a server left running by a run that died (SIGKILL, out of memory, a closed
 * terminal) from one a live process still owns.
 *
 * The server runs in a process group of its own (so Ctrl-C reaches Pantheon first), and a Node
 * process that is killed outright cannot take it down: the server lives on, holding the ports
 * and the SQLite file, and the next `npm start` failed with "port 7233 is taken". Now that start
 * stops it first: an orphan's owner is gone, so nothing else will.
 */

interface PidRecord {
  /** The dev server's pid (also its process group's). */
  server: number;
  /** The process that started it; while that process lives, it is the server's parent. */
  owner: number;
  /** Where it listens (`host:port`). */
  address: string;
}

/** What a start that stopped such a server tells its user. */
export const stoppedOrphanNotice = (pid: number) => `stopped the Temporal dev server an earlier run left running on the same data (pid ${pid}), and started it again`;

const pidFileOf = (dbFile: string) => `${dbFile}.server.json`;

/** Remembers the server this process started on `dbFile`. */
export function recordServer(dbFile: string, serverPid: number, address: string): void {
  const record: PidRecord = { server: serverPid, owner: process.pid, address };
  fs.writeFileSync(pidFileOf(dbFile), JSON.stringify(record));
}

/** Forgets it again (stopped, or never started); leaves another process's record alone. */
export function forgetServer(dbFile: string, serverPid: number): void {
  if (readRecord(dbFile)?.server === serverPid) fs.rmSync(pidFileOf(dbFile), { force: true });
}

function readRecord(dbFile: string): PidRecord | undefined {
  try {
    const raw = JSON.parse(fs.readFileSync(pidFileOf(dbFile), 'utf8')) as Partial<PidRecord>;
    return Number.isInteger(raw.server) && Number.isInteger(raw.owner) && typeof raw.address === 'string' ? (raw as PidRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** A live process's parent and command line (`ps`, on Linux and macOS alike); undefined when gone or unknown. */
function processInfo(pid: number): { ppid: number; command: string } | undefined {
  try {
    const out = execFileSync('ps', ['-ww', '-o', 'ppid=,args=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const match = /^(\d+)\s+(.*)$/s.exec(out);
    return match ? { ppid: Number(match[1]), command: match[2] } : undefined;
  } catch {
    return undefined;
  }
}

/** Still a running dev server (a killed one can linger as a zombie until reaped: that is not running). */
const stillRuns = (pid: number) => processInfo(pid)?.command.includes('start-dev') === true;

/**
 * Stops the dev server an earlier run started on `dbFile` and left running when it died, and
 * returns its pid; undefined when there is none (no record, or the server gone). A server whose
 * owner still runs it is refused instead: a second server on one SQLite file would corrupt it.
 */
export async function stopOrphanedServer(dbFile: string, graceMs = 10_000): Promise<number | undefined> {
  const record = readRecord(dbFile);
  if (!record) return undefined;
  const server = processInfo(record.server);
  // Gone, or the pid now names another program (reused): nothing of ours to stop.
  if (!server || !server.command.includes('start-dev') || !server.command.includes(dbFile)) {
    fs.rmSync(pidFileOf(dbFile), { force: true });
    return undefined;
  }
  if (server.ppid === record.owner) {
    throw PantheonError.of(
      'temporal_not_started',
      `${dbFile} is in use by the Temporal dev server at ${record.address} (pid ${record.server}), which process ${record.owner} started and still runs: ` +
        `a second server on one SQLite file would corrupt it. Use that server (TEMPORAL_ADDRESS=${record.address}) or stop that run first.`,
      { details: { dbFile, address: record.address, serverPid: record.server, ownerPid: record.owner } },
    );
  }
  signalGroup(record.server, 'SIGTERM');
  for (const deadline = Date.now() + graceMs; stillRuns(record.server) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
  if (stillRuns(record.server)) signalGroup(record.server, 'SIGKILL');
  for (const deadline = Date.now() + 2_000; stillRuns(record.server) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
  fs.rmSync(pidFileOf(dbFile), { force: true });
  return record.server;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}
