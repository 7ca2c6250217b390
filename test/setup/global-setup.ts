import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { buildSync } from 'esbuild';
import { repoRoot } from '../../src/config/paths';
import { startDevServer, type DevServer } from '../../src/runtime/dev-server';
import { ensureSearchAttributes } from '../../src/runtime/search-attributes';
import { bundleWorkflows } from '../../src/workers/workflow-bundle';

/**
 * Starts one real Temporal dev server (in memory, free ports, no UI) for the whole suite, bundles
 * the workflows once, and compiles the `pantheon` CLI once; tests find them through environment
 * variables.
 *
 * `PANTHEON_TEST_TEMPORAL_ADDRESS=host:port npm test` runs the suite against a server you run
 * instead (its `default` namespace, no TLS), such as Temporal on PostgreSQL; none is started, and
 * Pantheon's search attributes are added to that namespace as a worker's start adds them (a fresh
 * server has none, and every task's first upsert would fail).
 */
export default async function globalSetup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pantheon-test-'));
  const external = process.env.PANTHEON_TEST_TEMPORAL_ADDRESS?.trim();
  isolateFromTemporalConfig(dir);
  // The server starts (1 – 2 s, mostly waiting for it to answer) while the workflows bundle (~13 s
  // of CPU). A failed bundle leaves no server behind (it is killed when this process exits).
  const [server, code] = await Promise.all([
    external ? registerSearchAttributes(external).then(() => undefined) : startDevServer({ port: 0, dbFile: null, headless: true, logFile: path.join(dir, 'temporal.log') }),
    bundleWorkflows({ logger: quietLogger }),
  ]);
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, code);
  process.env.PANTHEON_TEST_TEMPORAL_ADDRESS = server?.address ?? external;
  process.env.PANTHEON_TEST_BUNDLE = bundlePath;
  process.env.PANTHEON_TEST_DIR = dir;
  process.env.PANTHEON_TEST_CLI = compileCli();
  (globalThis as { __pantheonServer?: DevServer }).__pantheonServer = server;
}

async function registerSearchAttributes(address: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await ensureSearchAttributes(connection, 'default');
  } finally {
    await connection.close();
  }
}

/**
 * The CLI's own sources compiled into one file, packages left to node_modules: CLI tests spawn it
 * dozens of times, and plain node starts it in half the time tsx takes to transpile it on each
 * spawn. It lives under the repository's node_modules, so repoRoot() and package resolution work
 * from it as they do from src/.
 */
function compileCli(): string {
  const outfile = path.join(repoRoot(), 'node_modules', '.cache', `pantheon-test-${process.pid}`, 'cli.js');
  buildSync({
    entryPoints: [path.join(repoRoot(), 'src', 'client', 'cli.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    // The workflow modules a worker hands the SDK's bundler are found with require.resolve when
    // asked (src/tracing/bundle.ts); the CLI never asks, so their paths need not survive here.
    logOverride: { 'require-resolve-not-external': 'silent' },
  });
  return outfile;
}

/**
 * The suite talks only to its own server: a developer's TEMPORAL_* variables or their
 * ~/.config/temporalio/temporal.toml (say, a Cloud profile with an API key) must not reach the
 * processes tests start. An empty config file stands in for theirs; tests set what they need.
 */
function isolateFromTemporalConfig(dir: string): void {
  for (const name of Object.keys(process.env)) {
    if (name === 'TEMPORAL_PROFILE' || name === 'TEMPORAL_ADDRESS' || name === 'TEMPORAL_NAMESPACE' || name === 'TEMPORAL_API_KEY' || name.startsWith('TEMPORAL_TLS') || name.startsWith('TEMPORAL_GRPC_META_')) {
      delete process.env[name];
    }
  }
  const empty = path.join(dir, 'temporal.toml');
  fs.writeFileSync(empty, '');
  process.env.TEMPORAL_CONFIG_FILE = empty;
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
