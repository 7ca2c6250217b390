import fs from 'node:fs';
import path from 'node:path';
import type { PantheonConfig } from '../config/env';
import { PantheonError } from '../errors';

/**
 * The local files a worker opens only after it has connected (and `npm start` after it has
 * started a dev server, the worker after it has written its Schedules): a prebuilt workflow
 * bundle, and the embedded memory store's file. Checked at start-up so a typo stops the process
 * at once, naming the variable, instead of after a dev server started for nothing (or, for a
 * memory file under a file, as `store_unavailable`, the code that says "try again later").
 */
export function checkLocalPaths(config: Pick<PantheonConfig, 'workflowBundlePath' | 'memory'>): void {
  if (config.workflowBundlePath !== undefined) checkReadableFile(config.workflowBundlePath, 'PANTHEON_WORKFLOW_BUNDLE');
  checkMemoryFile(config.memory, 'write');
}

/**
 * The embedded memory store's file (PANTHEON_MEMORY_FILE) as a command that reads it (`history`:
 * a missing file is no history yet, not an error) or writes it (a worker, `memory reembed`) needs
 * it: a folder, or a file it cannot read (or write), is `config_invalid` naming the variable
 * (exit 1), not the `store_unavailable` (exit 75, "try again later") SQLite's open failure was.
 * Nothing to check for Qdrant.
 */
export function checkMemoryFile(memory: PantheonConfig['memory'], access: 'read' | 'write'): void {
  if (memory.kind !== 'sqlite') return;
  if (access === 'write') checkWritableFile(memory.file, MEMORY_FILE_VARIABLE);
  else if (statOrNone(path.resolve(memory.file))) checkReadableFile(memory.file, MEMORY_FILE_VARIABLE);
}

const MEMORY_FILE_VARIABLE = 'PANTHEON_MEMORY_FILE';

function refused(variable: string, message: string): PantheonError {
  return PantheonError.of('config_invalid', `environment variable ${variable}: ${message}`, { details: { variable } });
}

function checkReadableFile(file: string, variable: string): void {
  try {
    if (!fs.statSync(file).isFile()) throw refused(variable, `${file} is not a file`);
    fs.accessSync(file, fs.constants.R_OK);
  } catch (err) {
    if (err instanceof PantheonError) throw err;
    throw refused(variable, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** An existing file must be readable and writable; a new one's nearest existing folder must be a writable folder (the store creates the rest). */
function checkWritableFile(file: string, variable: string): void {
  const absolute = path.resolve(file);
  const existing = statOrNone(absolute);
  if (existing) {
    if (!existing.isFile()) throw refused(variable, `${file} is not a file`);
    try {
      fs.accessSync(absolute, fs.constants.R_OK | fs.constants.W_OK);
    } catch (err) {
      throw refused(variable, `cannot read and write ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    // SQLite keeps its journal beside the file (-wal and -shm in WAL mode, the store's): a folder
    // that takes no new file fails the open, which said store_unavailable (exit 75, "try again
    // later": a supervisor restarted the worker in a loop).
    const dir = path.dirname(absolute);
    try {
      probeCreate(dir);
    } catch (err) {
      throw refused(variable, `cannot write beside ${file}: the folder ${dir} takes no new file (${(err as NodeJS.ErrnoException).code ?? String(err)}); SQLite keeps its -wal and -shm files there`);
    }
    return;
  }
  let dir = path.dirname(absolute);
  for (;;) {
    const stat = statOrNone(dir);
    if (stat) {
      if (!stat.isDirectory()) throw refused(variable, `cannot create ${file}: ${dir} is not a folder`);
      try {
        fs.accessSync(dir, fs.constants.W_OK);
        probeCreate(dir);
      } catch {
        throw refused(variable, `cannot create ${file}: the folder ${dir} is not writable`);
      }
      return;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/**
 * Creates and removes a file in `dir`: permission bits say yes to root everywhere, but a folder of
 * a special file system (/sys, /proc) still refuses a new file, which SQLite found only after the
 * worker had connected (or, under /proc, hung on).
 */
function probeCreate(dir: string): void {
  const probe = path.join(dir, `.pantheon-write-check-${process.pid}`);
  fs.closeSync(fs.openSync(probe, 'wx'));
  fs.rmSync(probe, { force: true });
}

/** A path's stat, or undefined when nothing is there (a part of it missing, or a file where a folder would be). */
function statOrNone(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}
