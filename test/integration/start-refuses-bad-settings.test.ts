import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../src/config/paths';
import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import { SqliteMemoryStore } from '../../src/memory/sqlite-store';

/**
 * `npm start` with a malformed settings file or variable the worker reads (limits.yaml, the offline
 * provider's faults): refused with the field named, exit 1, before a dev server is started for
 * nothing (until 2026-12-06 it started one, then failed and stopped it).
 */
const badLimits = path.join(os.tmpdir(), `bad-limits-${process.pid}-${Date.now()}.yaml`);
fs.writeFileSync(badLimits, 'system_hourly_usd: -1\n');

afterAll(() => fs.rmSync(badLimits, { force: true }));

/** `npm start` (src/main.ts), or another script of src/ as npm runs it, to its end. */
function start(env: Record<string, string>, script = 'main.ts'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // No TEMPORAL_ADDRESS: npm start would start its own dev server.
  const { TEMPORAL_ADDRESS: _unused, PANTHEON_OFFLINE_URL: _none, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot(), 'src', script)], {
    cwd: repoRoot(),
    env: { ...inherited, PANTHEON_LLM_MODE: 'offline', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

it('refuses a malformed limits.yaml or PANTHEON_OFFLINE_FAULTS before it starts anything', async () => {
  const [limits, faults] = await Promise.all([start({ PANTHEON_LIMITS_FILE: badLimits }), start({ PANTHEON_OFFLINE_FAULTS: '[{"kind":"nope"}]' })]);
  expect(limits.stderr).toMatch(new RegExp(`^error: config_invalid: environment variable PANTHEON_LIMITS_FILE: ${badLimits.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: system_hourly_usd: `));
  expect(faults.stderr).toMatch(/^error: config_invalid: PANTHEON_OFFLINE_FAULTS is invalid: PANTHEON_OFFLINE_FAULTS\[0\]\.kind: /);
  for (const run of [limits, faults]) {
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('Temporal');
  }
}, 60_000);

it('refuses an empty PANTHEON_LIMITS_FILE (npm start and npm run worker), naming the variable and the file, before it starts anything: it seeded the default limits', async () => {
  const empty = path.join(os.tmpdir(), `empty-limits-${process.pid}-${Date.now()}.yaml`);
  fs.writeFileSync(empty, '');
  try {
    const runs = await Promise.all([start({ PANTHEON_LIMITS_FILE: empty }), start({ PANTHEON_LIMITS_FILE: empty }, 'workers/main.ts')]);
    for (const run of runs) {
      expect(run.stderr).toContain(`config_invalid: environment variable PANTHEON_LIMITS_FILE: ${empty}: sets no limit (empty, or comments only)`);
      expect(run.code).toBe(1);
      expect(run.stdout).not.toContain('Temporal');
      expect(run.stdout + run.stderr).not.toMatch(/worker running/);
    }
  } finally {
    fs.rmSync(empty, { force: true });
  }
}, 60_000);

it('refuses a workflow bundle it cannot read, or a memory file it cannot create, naming the variable, before it starts anything', async () => {
  const underAFile = path.join(badLimits, 'memory.sqlite');
  const [bundle, memory] = await Promise.all([start({ PANTHEON_WORKFLOW_BUNDLE: '/nonexistent/bundle.js' }), start({ PANTHEON_MEMORY_FILE: underAFile })]);
  expect(bundle.stderr).toMatch(/^error: config_invalid: environment variable PANTHEON_WORKFLOW_BUNDLE: cannot read \/nonexistent\/bundle\.js \(ENOENT\)/);
  expect(memory.stderr).toContain(`error: config_invalid: environment variable PANTHEON_MEMORY_FILE: cannot create ${underAFile}: ${badLimits} is not a folder`);
  for (const run of [bundle, memory]) {
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('Temporal');
  }
}, 60_000);

it('refuses PANTHEON_EMBEDDER of another space than the memory store was built with, naming it, before it starts anything', async () => {
  const file = path.join(os.tmpdir(), `hashing-store-${process.pid}-${Date.now()}.sqlite`);
  await (await SqliteMemoryStore.open({ file, embedder: new HashingEmbedder() })).close();
  try {
    const run = await start({ PANTHEON_MEMORY_FILE: file, PANTHEON_EMBEDDER: 'openai' });
    expect(run.stderr).toMatch(/^error: config_invalid: environment variable PANTHEON_EMBEDDER: memory store .* was built with embedder hashing-fnv1a-uni-bi-v1\/384 dimensions, but openai-text-embedding-3-small-1536\/1536 was given/);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('Temporal');
  } finally {
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  }
}, 60_000);

it('npm run server refuses a padded TEMPORAL_NAMESPACE, naming it, and starts no server', async () => {
  const { code, stdout, stderr } = await start({ TEMPORAL_NAMESPACE: ' ns' }, path.join('runtime', 'serve-temporal.ts'));
  expect(code).toBe(1);
  expect(stderr).toMatch(/^error: config_invalid: environment variable TEMPORAL_NAMESPACE: /);
  expect(stdout).not.toContain('Temporal');
}, 60_000);

it('refuses a PANTHEON_MEMORY_FILE that is not a database, naming it, exit 1, before it starts anything', async () => {
  const file = path.join(os.tmpdir(), `notes-${process.pid}-${Date.now()}.sqlite`);
  fs.writeFileSync(file, 'these are notes, not a database\n'.repeat(40));
  try {
    // Until 2026-12-07 a dev server started first, then the worker's store failed as store_unavailable, exit 75.
    const run = await start({ PANTHEON_MEMORY_FILE: file });
    expect(run.stderr).toContain(`error: store_corrupt: memory store ${file} (PANTHEON_MEMORY_FILE): open failed: file is not a database`);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('Temporal');
  } finally {
    fs.rmSync(file, { force: true });
  }
}, 60_000);
