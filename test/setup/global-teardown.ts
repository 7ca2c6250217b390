import fs from 'node:fs';
import path from 'node:path';
import type { DevServer } from '../../src/runtime/dev-server';

export default async function globalTeardown(): Promise<void> {
  await Promise.all(((globalThis as { __pantheonServers?: DevServer[] }).__pantheonServers ?? []).map((s) => s.stop()));
  const dir = process.env.PANTHEON_TEST_DIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  const cli = process.env.PANTHEON_TEST_CLI;
  if (cli) fs.rmSync(path.dirname(cli), { recursive: true, force: true });
}
