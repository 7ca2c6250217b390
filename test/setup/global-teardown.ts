import fs from 'node:fs';
import path from 'node:path';
import type { DevServer } from '../../src/runtime/dev-server';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __pantheonServer?: DevServer }).__pantheonServer?.stop();
  const dir = process.env.PANTHEON_TEST_DIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  const cli = process.env.PANTHEON_TEST_CLI;
  if (cli) fs.rmSync(path.dirname(cli), { recursive: true, force: true });
}
