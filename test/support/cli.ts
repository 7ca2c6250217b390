import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../src/config/paths';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `pantheon` CLI as a user would, in its own process: the suite's compiled copy of
 * src/client/cli.ts (test/setup/global-setup.ts), else the sources through tsx.
 */
export function runCli(args: string[], env: Record<string, string>, stdin?: string): Promise<CliResult> {
  return startCli(args, env, stdin).done;
}

/** The CLI started, for a test that watches its output while it runs (a `--wait`). */
export interface RunningCli {
  output(): { stdout: string; stderr: string };
  /** Sends the CLI's process a signal, as a terminal's Ctrl-C would (SIGINT). */
  kill(signal: NodeJS.Signals): void;
  done: Promise<CliResult>;
}

export function startCli(args: string[], env: Record<string, string>, stdin?: string): RunningCli {
  const compiled = process.env.PANTHEON_TEST_CLI;
  const [command, ...prefix] = compiled ? [process.execPath, compiled] : [path.join(repoRoot(), 'node_modules', '.bin', 'tsx'), path.join(repoRoot(), 'src', 'client', 'cli.ts')];
  let stdout = '';
  let stderr = '';
  let running: ReturnType<typeof spawn> | undefined;
  const done = new Promise<CliResult>((resolve, reject) => {
    const child = spawn(command, [...prefix, ...args], {
      cwd: repoRoot(),
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    });
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    running = child;
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
  return { output: () => ({ stdout, stderr }), kill: (signal) => void running?.kill(signal), done };
}

/**
 * A `submit --wait`'s stderr less its progress lines, which it prints once the task has run 10 s
 * (on a slow moment of the shared cores, any task may): what is left is what went wrong.
 */
export function stderrBeyondProgress(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !line.startsWith('progress    '))
    .join('\n');
}
