import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../src/config/paths';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `pantheon` CLI as a user would, in its own process. */
export function runCli(args: string[], env: Record<string, string>, stdin?: string): Promise<CliResult> {
  const tsx = path.join(repoRoot(), 'node_modules', '.bin', 'tsx');
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [path.join(repoRoot(), 'src', 'client', 'cli.ts'), ...args], {
      cwd: repoRoot(),
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}
