import { spawnSync } from 'node:child_process';
import { repoRoot } from '../../src/config/paths';

/**
 * `npm run pantheon -- roster | head -1`: the reader closes the pipe before the CLI has written it
 * all. Run as the npm script runs the CLI (`node --import tsx`), where the unhandled EPIPE showed.
 */
it('a reader that closes the pipe early (`| head`, here `| true`) gets no EPIPE stack trace and the CLI exits 0', () => {
  // `true` exits before the CLI has started, so every line the CLI writes meets a closed pipe.
  const run = spawnSync('bash', ['-c', 'node --import tsx src/client/cli.ts roster | true; exit ${PIPESTATUS[0]}'], { cwd: repoRoot(), encoding: 'utf8' });
  expect({ code: run.status, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
});
