import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/env';
import { repoRoot } from '../../src/config/paths';
import { createLogger } from '../../src/logging/logger';
import { countTokens } from '../../src/llm/tokens';
import { focusWarnings, FOCUS_PROMPT_TOKENS, rosterWarnings } from '../../src/specialists/focus';
import { loadRoster } from '../../src/specialists/roster';
import { prepareProviders } from '../../src/workers/deps';
import { runCli } from '../support/cli';

/**
 * Focused specialists: a system prompt over 1,000 tokens or one using the word "also" draws a
 * warning (it is probably two specialists), at worker start and from `pantheon roster`; never a refusal.
 */

const SEED = join(repoRoot(), 'agents');
const made: string[] = [];

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** The seed roster plus DatabaseAgent's prompt with one more sentence. */
function rosterWithDatabaseLine(line: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'roster-focus-'));
  made.push(dir);
  cpSync(SEED, dir, { recursive: true });
  const file = join(dir, 'DatabaseAgent.yaml');
  writeFileSync(file, `${readFileSync(file, 'utf8').trimEnd()}\n  ${line}\n`);
  return dir;
}

const ALSO_LINE = 'You also write the release notes for every migration you plan.';

describe('focus warnings', () => {
  it('warn when the system prompt uses the word "also", quoting its line', () => {
    const [warning] = focusWarnings({ name: 'DatabaseAgent', system_prompt: `You design schemas.\n${ALSO_LINE}` });
    expect(warning).toMatchObject({ specialist: 'DatabaseAgent', field: 'system_prompt', rule: 'also' });
    expect(warning.message).toContain(`"${ALSO_LINE}"`);
    expect(focusWarnings({ name: 'X', system_prompt: 'Also, review the code.' }).map((w) => w.rule)).toEqual(['also']);
  });

  it('do not fire on "also" inside another word', () => {
    expect(focusWarnings({ name: 'X', system_prompt: 'Cite Alsop and the Palsonian survey; nothing else.' })).toEqual([]);
  });

  it('warn when the system prompt is over 1,000 tokens, and not at exactly 1,000', () => {
    const atLimit = 'word '.repeat(FOCUS_PROMPT_TOKENS).trim();
    expect(countTokens(atLimit)).toBe(1000);
    expect(focusWarnings({ name: 'X', system_prompt: atLimit })).toEqual([]);
    const [warning] = focusWarnings({ name: 'X', system_prompt: `${atLimit} word` });
    expect(warning).toMatchObject({ rule: 'prompt_tokens', message: expect.stringContaining('1001 tokens') });
  });

  it('leave the seed roster alone', () => {
    expect(rosterWarnings(loadRoster(SEED))).toEqual([]);
  });

  it('are warnings, not refusals: the roster still loads with the specialist in it', () => {
    const roster = loadRoster(rosterWithDatabaseLine(ALSO_LINE));
    expect(roster.get('DatabaseAgent')?.system_prompt).toContain(ALSO_LINE);
    expect(rosterWarnings(roster).map((w) => [w.specialist, w.rule])).toEqual([['DatabaseAgent', 'also']]);
  });

  it('are logged at worker start, after the provider line', () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const config = loadConfig({ PANTHEON_LLM_MODE: 'offline', PANTHEON_OFFLINE_URL: 'http://127.0.0.1:9', PANTHEON_ROSTER_DIR: rosterWithDatabaseLine(ALSO_LINE) });
    const setup = prepareProviders(config, createLogger({ level: 'info', destination }));

    expect(setup.roster.get('DatabaseAgent')).toBeDefined();
    expect(lines[0]).toMatchObject({ msg: expect.stringMatching(/^LLM mode offline/) });
    expect(lines.slice(1)).toEqual([expect.objectContaining({ level: 40, specialist: 'DatabaseAgent', rule: 'also', msg: expect.stringMatching(/^roster: DatabaseAgent: system_prompt uses "also"/) })]);
  });
});

describe('pantheon roster', () => {
  it('lists the specialists and the warnings, and exits 0', async () => {
    const result = await runCli(['roster'], { PANTHEON_ROSTER_DIR: rosterWithDatabaseLine(ALSO_LINE) });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/4 specialist\(s\)/);
    expect(result.stdout).toMatch(/DatabaseAgent\s+openai\/gpt-4\.1-mini · prompt \d+ tokens/);
    expect(result.stdout).toContain('warnings (1):');
    expect(result.stdout).toContain(`DatabaseAgent: system_prompt uses "also" ("${ALSO_LINE}")`);
  });

  it('refuses a malformed file with the file and the field named, exit 1', async () => {
    const dir = rosterWithDatabaseLine(ALSO_LINE);
    writeFileSync(join(dir, 'Broken.yaml'), 'name: Broken\ndescription: too short\n');
    const result = await runCli(['roster', '--dir', dir], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/config_invalid: roster file .*Broken\.yaml: field "description"/);
  });
});
