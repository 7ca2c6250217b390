import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { repoRoot } from '../../src/config/paths';
import { runCli, type CliResult } from '../support/cli';

/** The CLI where it needs no server: its help and its manners on a pipe. */

/**
 * `npm run pantheon -- roster | head -1`: the reader closes the pipe before the CLI has written it
 * all. Run as the npm script runs the CLI (`node --import tsx`), where the unhandled EPIPE showed.
 */
it('a reader that closes the pipe early (`| head`, here `| true`) gets no EPIPE stack trace and the CLI exits 0', () => {
  // `true` exits before the CLI has started, so every line the CLI writes meets a closed pipe.
  const run = spawnSync('bash', ['-c', 'node --import tsx src/client/cli.ts roster | true; exit ${PIPESTATUS[0]}'], { cwd: repoRoot(), encoding: 'utf8' });
  expect({ code: run.status, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
});

const COMMANDS = ['submit', 'status', 'list', 'dlq', 'budget', 'god', 'review', 'roster', 'routing', 'constraints', 'memory', 'history'];

/** `pantheon --help`: the same for every command's case below, so run once for all of them. */
let wholeUsage: Promise<CliResult> | undefined;

// Concurrent: each case is its own process, with nothing to share but the whole usage.
it.concurrent.each(COMMANDS)('`pantheon %s --help` prints that command\'s usage and runs nothing', async (command) => {
  // An address nothing answers on: a command that ran instead of helping would fail.
  const [run, whole] = await Promise.all([
    runCli([command, ...(command === 'submit' ? ['An objective of enough length'] : []), '--help'], { TEMPORAL_ADDRESS: '127.0.0.1:1' }),
    (wholeUsage ??= runCli(['--help'], {})),
  ]);
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  expect(run.stdout.startsWith(`pantheon ${command}`)).toBe(true);
  // The same lines as in the whole usage (indented there).
  const wholeLines = whole.stdout.split('\n').map((line) => line.trim());
  for (const line of run.stdout.trim().split('\n')) expect(wholeLines).toContain(line.trim());
});

it('`--help` after a subcommand or other flags prints the usage too; a value that reads -h is not taken for it', async () => {
  const env = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
  const cases = [['god', 'status', '--help'], ['budget', 'open', '--who', 'ops', '-h'], ['submit', 'An objective of enough length', '--wait', '--help']];
  // Each its own process, side by side.
  const [value, ...runs] = await Promise.all([runCli(['submit', 'An objective of enough length', '--context', '-h'], env), ...cases.map((args) => runCli(args, env))]);
  for (const [i, args] of cases.entries()) {
    const run = runs[i];
    expect({ args, code: run.code, stderr: run.stderr, head: run.stdout.split(' ').slice(0, 2).join(' ') }).toEqual({ args, code: 0, stderr: '', head: `pantheon ${args[0]}` });
  }
  expect(value.code).toBe(1);
  expect(value.stdout).toBe('');
  expect(value.stderr).toMatch(/--context/);
});

it('`pantheon memory reembed` on a SQLite file without the memory tables names the file and PANTHEON_MEMORY_FILE, exit 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pantheon-reembed-cli-'));
  try {
    const file = join(dir, 'empty.sqlite');
    new Database(file).close();
    // The hashing embedder needs no server; until 2026-12-07 this printed `error: no such table: memory_meta`.
    const run = await runCli(['memory', 'reembed'], { PANTHEON_MEMORY_FILE: file, PANTHEON_EMBEDDER: 'hashing', TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
    expect(run.stderr).toBe(
      `error: config_invalid: environment variable PANTHEON_MEMORY_FILE: ${file} is not a Pantheon memory store (it has no memory_meta or memories table); point PANTHEON_MEMORY_FILE at the file the workers use\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('`pantheon status --limit` takes a positive integer only, and only for the overview: refused naming --limit, exit 1, before connecting', async () => {
  // An address nothing answers on: a command that connected would fail with 75, not 1.
  const env = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
  const limits = ['abc', '0', '-5'];
  // Each its own process, side by side.
  const [withId, help, ...runs] = await Promise.all([
    runCli(['status', 'some-task', '--limit', '5'], env),
    runCli(['status', '--help'], env),
    ...limits.map((limit) => runCli(['status', '--limit', limit], env)),
  ]);
  for (const [i, limit] of limits.entries()) {
    const run = runs[i];
    expect({ limit, code: run.code, stderr: run.stderr }).toEqual({ limit, code: 1, stderr: `error: invalid_input: --limit: expected a positive integer, got "${limit}"\n` });
  }
  expect({ code: withId.code, stderr: withId.stderr }).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: invalid_input: --limit: /) });
  expect(help.stdout).toMatch(/pantheon status \[--limit N\]/);
});

it('a misspelt flag is refused saying the flag it likely means, for any command (`budget open --wyh`, `submit --wiat`): exit 1, before connecting', async () => {
  // An address nothing answers on: a command that connected would fail with 75, not 1.
  const env = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
  const [open, submit] = await Promise.all([
    runCli(['budget', 'open', '--who', 'ops', '--wyh', 'incident'], env),
    runCli(['submit', 'An objective of enough length', '--wiat'], env),
  ]);
  expect(open).toEqual({ code: 1, stdout: '', stderr: 'error: invalid_input: --wyh: unknown option; did you mean --why? (see --help)\n' });
  expect(submit).toEqual({ code: 1, stdout: '', stderr: 'error: invalid_input: --wiat: unknown option; did you mean --wait? (see --help)\n' });
});

// Every command group, and the commands themselves: a typo is named, with the one it likely means.
it.concurrent.each([
  [['stauts'], 'unknown command "stauts"; did you mean status?', 'pantheon submit'],
  [['budget', 'restor', '--from-run', 'x'], 'budget: unknown subcommand "restor"; did you mean restore?', 'pantheon budget restore'],
  [['budget', 'rewind'], 'budget: unknown subcommand "rewind"; the subcommands are show, close, open, override, share, limits, export, restore, reset', 'pantheon budget reset'],
  [['god', 'strat'], 'god: unknown subcommand "strat"; did you mean start?', 'pantheon god start'],
  [['constraints', 'ad'], 'constraints: unknown subcommand "ad"; did you mean add?', 'pantheon constraints add'],
  [['dlq', 'redrve', '--al'], 'dlq: unknown subcommand "redrve"; did you mean redrive?', 'pantheon dlq redrive'],
  [['review', 'aprove'], 'review: unknown subcommand "aprove"; did you mean approve?', 'pantheon review approve'],
  [['routing', 'rollbak'], 'routing: unknown subcommand "rollbak"; did you mean rollback?', 'pantheon routing rollback'],
  [['memory', 'backfil'], 'memory: unknown subcommand "backfil"; did you mean backfill?', 'pantheon memory backfill'],
  [['history', 'stat'], 'history: unknown subcommand "stat"; did you mean stats?', 'pantheon history stats'],
])('`pantheon %j` is refused naming it and the (sub)command it likely means, then the usage: exit 1, before connecting', async (args, first, usage) => {
  // An address nothing answers on: a command that connected would fail with 75, not 1. A setting
  // that is wrong too: the typo is told first (god, constraints, review, routing read their
  // settings first and told the setting).
  const run = await runCli(args, { TEMPORAL_ADDRESS: '127.0.0.1:1', PANTHEON_LLM_MODE: 'bogus' });
  expect({ code: run.code, stdout: run.stdout, first: run.stderr.split('\n')[0] }).toEqual({ code: 1, stdout: '', first: `error: invalid_input: ${first}` });
  expect(run.stderr).toContain(usage);
});

it('`pantheon god start --goals limits.yaml` is told it gave a limits file, not goals: exit 1, before connecting', async () => {
  // An address nothing answers on: a command that connected would fail with 75, not 1.
  const run = await runCli(['god', 'start', '--goals', 'limits.yaml'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
  expect(run.stderr).toBe(
    'error: invalid_input: goals file limits.yaml: this looks like a limits file (its keys are limits.yaml\'s), not goals: a goals file is "goals:" and a list of goals, each with an id and an objective (see goals.example.yaml)\n',
  );
});

it('a misspelt PANTHEON_ variable is named on stderr with the setting it likely means, and the command runs without it', async () => {
  const run = await runCli(['roster'], { PANTHEON_LLM_MDOE: 'offline', PANTHEON_ROSTER_DIRS: '/elsewhere' });
  expect({ code: run.code, stderr: run.stderr }).toEqual({
    code: 0,
    stderr:
      'warning: PANTHEON_LLM_MDOE is not a Pantheon setting (did you mean PANTHEON_LLM_MODE?); it is ignored\n' +
      'warning: PANTHEON_ROSTER_DIRS is not a Pantheon setting (did you mean PANTHEON_ROSTER_DIR?); it is ignored\n',
  });
  // The roster from the default place: the misspelt name was ignored.
  expect(run.stdout).toMatch(/^roster \S+\/agents: /);
});

it('`pantheon submit` with a misspelt PANTHEON_CODEC_KEYS is refused before anything is sent (it would go unencrypted): exit 1, naming both names, never the key', async () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  // An address nothing answers on: a command that went on to connect would fail with 75, not 1.
  const run = await runCli(['submit', 'An objective of enough length'], { PANTHEON_CODEC_KEY: `k1:${key}`, TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
  expect(run.stderr).toMatch(/^error: config_invalid: environment variable PANTHEON_CODEC_KEY is not a Pantheon setting \(did you mean PANTHEON_CODEC_KEYS\?\); refused rather than ignored/);
  expect(run.stderr).not.toContain(key);
});

it('a number setting set to text (`PANTHEON_LLM_TIMEOUT_MS=abc`) is refused naming the variable and quoting the text, exit 1', async () => {
  // `roster` reads the settings and needs no server.
  const run = await runCli(['roster'], { PANTHEON_LLM_TIMEOUT_MS: 'abc' });
  expect(run).toEqual({ code: 1, stdout: '', stderr: 'error: config_invalid: environment variable PANTHEON_LLM_TIMEOUT_MS: must be a number (got "abc")\n' });
});

it('a path, host or list setting set to spaces only is refused as an empty one is, naming it, exit 1 (`pantheon roster` ran with a blank codec host or memory file, and called a blank roster folder an empty roster file)', async () => {
  const settings = ['PANTHEON_MEMORY_FILE', 'PANTHEON_ROSTER_DIR', 'PANTHEON_WORKFLOW_BUNDLE', 'PANTHEON_CODEC_HOST', 'PANTHEON_CODEC_CORS_ORIGINS'];
  // Each its own process, side by side; `roster` reads the settings and needs no server.
  const runs = await Promise.all(settings.map((variable) => runCli(['roster'], { [variable]: '   ' })));
  for (const [i, variable] of settings.entries()) {
    expect({ variable, ...runs[i] }).toEqual({
      variable,
      code: 1,
      stdout: '',
      stderr: `error: config_invalid: environment variable ${variable}: must not be blank (set but empty or only spaces): unset it for the default, or give a value\n`,
    });
  }
});
