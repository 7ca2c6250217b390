import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../../src/runtime/dev-server';
import { WORKFLOWS_PATH } from '../../src/workers/task-worker';

/**
 * Starts one real Temporal dev server (in memory, free ports, no UI) for the whole suite and
 * bundles the workflows once; tests find both through environment variables.
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
  (globalThis as { __pantheonServer?: DevServer }).__pantheonServer = server;
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
