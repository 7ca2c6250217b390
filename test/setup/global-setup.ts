import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { buildSync } from 'esbuild';
import { repoRoot } from '../../src/config/paths';
import { startDevServer, type DevServer } from '../../src/runtime/dev-server';
import { WORKFLOWS_PATH } from '../../src/workers/task-worker';

/**
 * Starts one real Temporal dev server (in memory, free ports, no UI) for the whole suite, bundles
 * the workflows once, and compiles the `pantheon` CLI once; tests find them through environment
 * variables.
 */
export default async function globalSetup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pantheon-test-'));
  const server = await startDevServer({ port: 0, dbFile: null, headless: true, logFile: path.join(dir, 'temporal.log') });
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, code);
  process.env.PANTHEON_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.PANTHEON_TEST_BUNDLE = bundlePath;
  process.env.PANTHEON_TEST_DIR = dir;
  process.env.PANTHEON_TEST_CLI = compileCli();
  (globalThis as { __pantheonServer?: DevServer }).__pantheonServer = server;
}

/**
 * The CLI's own sources compiled into one file, packages left to node_modules: CLI tests spawn it
 * dozens of times, and plain node starts it in half the time tsx takes to transpile it on each
 * spawn. It lives under the repository's node_modules, so repoRoot() and package resolution work
 * from it as they do from src/.
 */
function compileCli(): string {
  const outfile = path.join(repoRoot(), 'node_modules', '.cache', `pantheon-test-${process.pid}`, 'cli.js');
  buildSync({ entryPoints: [path.join(repoRoot(), 'src', 'client', 'cli.ts')], outfile, bundle: true, platform: 'node', target: 'node20', packages: 'external', logLevel: 'warning' });
  return outfile;
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
