import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../src/config/paths';

/** A real Node process running a command built on exitOnError (test/fixtures/programs/exit-on-error.ts). */
function run(mode: string): { status: number | null; stderr: string } {
  const program = path.join(repoRoot(), 'test', 'fixtures', 'programs', 'exit-on-error.ts');
  const result = spawnSync(process.execPath, ['--import', 'tsx', program, mode], { cwd: repoRoot(), encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stderr: result.stderr };
}

describe('exitOnError', () => {
  it('exits 0 and prints nothing when main resolves', () => {
    expect(run('resolves')).toEqual({ status: 0, stderr: '' });
  });

  it('exits 1 with one error line when main rejects', () => {
    expect(run('rejects')).toEqual({ status: 1, stderr: 'error: config_invalid: the field that was wrong\n' });
  });

  it('exits 1, saying so, when main never settles and the process has nothing left to wait for (Node alone would exit 0)', () => {
    const { status, stderr } = run('never-settles');
    expect(status).toBe(1);
    expect(stderr).toMatch(/^error: stopped before finishing: the process had nothing left to wait for/);
  });
});
