import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { PantheonError } from '../../src/errors';
import { countTokens } from '../../src/llm/tokens';
import {
  MAX_PROMPT_TOKENS,
  createRoster,
  describeRoster,
  loadRoster,
  parseSpecialistFile,
  specialistProblems,
  type Specialist,
} from '../../src/specialists/roster';
import { rosterWarnings } from '../../src/specialists/focus';

const AGENTS_DIR = path.join(__dirname, '..', '..', 'agents');

const PROMPT = 'You are a careful specialist inside Pantheon. Work one step at a time and say what each step produced.';

/** The fields of a valid specialist file; each test spoils one. */
function spec(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    description: `${name} handles one narrow kind of engineering task well.`,
    provider: 'openai',
    model: 'gpt-4.1-mini',
    keywords: ['alpha', 'beta'],
    expected_duration_minutes: 10,
    system_prompt: PROMPT,
    ...overrides,
  };
}

function without(fields: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...fields };
  delete copy[key];
  return copy;
}

let dirs: string[] = [];

/** A temp roster folder holding the given files (objects are written as YAML, strings as is). */
function rosterDir(files: Record<string, Record<string, unknown> | string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pantheon-roster-'));
  dirs.push(dir);
  for (const [file, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, file), typeof content === 'string' ? content : stringify(content));
  }
  return dir;
}

/** A valid folder (with a fallback) plus one extra file under test. */
function withFile(file: string, content: Record<string, unknown> | string): string {
  return rosterDir({ 'Helper.yaml': spec('Helper', { fallback: true }), [file]: content });
}

function loadError(dir: string): PantheonError {
  try {
    loadRoster(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(PantheonError);
    return err as PantheonError;
  }
  throw new Error(`expected loadRoster(${dir}) to fail`);
}

/** The failure must be config_invalid and name both the file and the field. */
function expectConfigInvalid(err: PantheonError, file: string, field: string, message: string): void {
  expect(err.type).toBe('config_invalid');
  expect(err.retryable).toBe(false);
  expect(err.details).toEqual({ file, field });
  expect(err.message).toBe(`roster file ${file}: field "${field}" ${message}`);
}

afterEach(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

describe('the shipped roster in agents/', () => {
  const roster = loadRoster(AGENTS_DIR);

  it('loads the four specialists, sorted by file name', () => {
    expect(roster.specialists.map((s) => s.name)).toEqual(['CodeReviewAgent', 'DatabaseAgent', 'Generalist', 'ResearchAgent']);
  });

  it('has Generalist as its one fallback', () => {
    expect(roster.fallback.name).toBe('Generalist');
    expect(roster.specialists.filter((s) => s.fallback).map((s) => s.name)).toEqual(['Generalist']);
  });

  it('finds specialists by name and nothing else', () => {
    expect(roster.get('DatabaseAgent')).toMatchObject({ provider: 'openai', model: 'gpt-4.1-mini', expected_duration_minutes: 15 });
    expect(roster.get('CodeReviewAgent')).toMatchObject({ provider: 'anthropic', model: 'claude-sonnet-4-6', expected_duration_minutes: 10 });
    expect(roster.get('ResearchAgent')).toMatchObject({ provider: 'anthropic', model: 'claude-haiku-4-5', expected_duration_minutes: 20 });
    expect(roster.get('Generalist')).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', fallback: true });
    expect(roster.get('databaseagent')).toBeUndefined();
    expect(roster.get('Nobody')).toBeUndefined();
  });

  it('keeps every system prompt within MAX_PROMPT_TOKENS', () => {
    expect(MAX_PROMPT_TOKENS).toBe(1000);
    for (const s of roster.specialists) {
      const tokens = countTokens(s.system_prompt);
      expect({ name: s.name, withinLimit: tokens > 0 && tokens <= MAX_PROMPT_TOKENS }).toEqual({ name: s.name, withinLimit: true });
    }
  });

  it('gives every specialist, the fallback included, routing keywords', () => {
    for (const s of roster.specialists) expect({ name: s.name, keywords: s.keywords.length > 0 }).toEqual({ name: s.name, keywords: true });
    expect(roster.get('CodeReviewAgent')?.keywords).toContain('pull request');
    expect(roster.get('DatabaseAgent')?.keywords).toContain('foreign key');
  });

  it('describes itself one line per specialist, its keywords included for the classifier', () => {
    const lines = describeRoster(roster).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toEqual(
      expect.stringMatching(/^- DatabaseAgent: Designs and changes relational database schemas, writes and tunes SQL queries, plans migrations, indexes and data backfills\. Keywords: sql, database, schema, .*\.$/),
    );
    for (const line of lines) expect(line).toMatch(/^- [A-Z][A-Za-z0-9]+: \S/);
  });
});

describe('loadRoster on a valid folder', () => {
  it('applies the defaults for keywords, max_output_tokens and fallback', () => {
    const dir = rosterDir({
      'Helper.yaml': spec('Helper', { fallback: true }),
      'Plain.yaml': without(spec('Plain'), 'keywords'),
    });
    const plain = loadRoster(dir).get('Plain') as Specialist;
    expect(plain.keywords).toEqual([]);
    expect(plain.max_output_tokens).toBe(700);
    expect(plain.fallback).toBe(false);
  });

  it('reads .yml files and ignores files that are not YAML', () => {
    const dir = rosterDir({
      'Helper.yaml': spec('Helper', { fallback: true }),
      'Other.yml': spec('Other', { provider: 'anthropic', model: 'claude-haiku-4-5' }),
      'README.md': '# not a specialist',
      'notes.txt': 'name: [broken',
    });
    expect(loadRoster(dir).specialists.map((s) => s.name)).toEqual(['Helper', 'Other']);
  });
});

describe('loadRoster on malformed files', () => {
  it('fails on bad YAML, naming the file', () => {
    const dir = withFile('Broken.yaml', 'name: Broken\ndescription: [unclosed\n');
    const err = loadError(dir);
    const file = path.join(dir, 'Broken.yaml');
    expect(err.type).toBe('config_invalid');
    expect(err.details).toEqual({ file, field: '(file)' });
    expect(err.message.startsWith(`roster file ${file}: field "(file)" is not valid YAML: `)).toBe(true);
  });

  it('fails on an empty file, naming the root', () => {
    const dir = withFile('Empty.yaml', '');
    expectConfigInvalid(loadError(dir), path.join(dir, 'Empty.yaml'), '(root)', 'Invalid input: expected object, received null');
  });

  it('fails on a missing model, naming the field', () => {
    const dir = withFile('NoModel.yaml', without(spec('NoModel'), 'model'));
    expectConfigInvalid(loadError(dir), path.join(dir, 'NoModel.yaml'), 'model', 'Invalid input: expected string, received undefined');
  });

  it('fails on a key that is no specialist field (a typo), naming it, at the top level and in fallback_model', () => {
    const typo = withFile('Typo.yaml', spec('Typo', { max_output_token: 300 }));
    const err = loadError(typo);
    expect(err.details).toEqual({ file: path.join(typo, 'Typo.yaml'), field: 'max_output_token' });
    expect(err.message).toMatch(/field "max_output_token" is not a specialist field \(a typo\?\); the fields are name, description, provider, model, keywords, .*max_output_tokens/);
    const nested = withFile('Nested.yaml', spec('Nested', { fallback_model: { provider: 'anthropic', model: 'claude-haiku-4-5', modle: 'x' } }));
    expect(loadError(nested).details).toEqual({ file: path.join(nested, 'Nested.yaml'), field: 'fallback_model.modle' });
  });

  it('fails on a model without a pinned price', () => {
    const dir = withFile('Pricey.yaml', spec('Pricey', { model: 'gpt-9-ultra' }));
    expectConfigInvalid(loadError(dir), path.join(dir, 'Pricey.yaml'), 'model', '"gpt-9-ultra" has no pinned price in src/llm/prices.json');
  });

  it('fails when the provider does not own the model', () => {
    const dir = withFile('Mixed.yaml', spec('Mixed', { provider: 'anthropic', model: 'gpt-4.1-mini' }));
    expectConfigInvalid(loadError(dir), path.join(dir, 'Mixed.yaml'), 'provider', 'is anthropic but gpt-4.1-mini is a openai model');
  });

  it('fails on an unknown provider', () => {
    const dir = withFile('Local.yaml', spec('Local', { provider: 'ollama' }));
    expectConfigInvalid(loadError(dir), path.join(dir, 'Local.yaml'), 'provider', 'Invalid option: expected one of "openai"|"anthropic"');
  });

  it('fails when the name does not match the file name', () => {
    const dir = withFile('SqlAgent.yaml', spec('DatabaseAgent'));
    expectConfigInvalid(loadError(dir), path.join(dir, 'SqlAgent.yaml'), 'name', 'must match the file name (SqlAgent)');
  });

  it('fails on a name that is not PascalCase', () => {
    const dir = withFile('sql_agent.yaml', spec('sql_agent'));
    expectConfigInvalid(loadError(dir), path.join(dir, 'sql_agent.yaml'), 'name', 'must be PascalCase letters and digits');
  });

  it('fails when two specialists are fallbacks', () => {
    const dir = rosterDir({ 'First.yaml': spec('First', { fallback: true }), 'Second.yaml': spec('Second', { fallback: true }) });
    expectConfigInvalid(loadError(dir), dir, 'fallback', 'must be true for exactly one specialist (found 2)');
  });

  it('fails when no specialist is the fallback', () => {
    const dir = rosterDir({ 'First.yaml': spec('First'), 'Second.yaml': spec('Second') });
    expectConfigInvalid(loadError(dir), dir, 'fallback', 'must be true for exactly one specialist (found 0)');
  });

  it('fails when one name is defined twice', () => {
    const dir = rosterDir({ 'Helper.yaml': spec('Helper', { fallback: true }), 'Helper.yml': spec('Helper') });
    expectConfigInvalid(loadError(dir), dir, 'name', '"Helper" is defined twice');
  });

  it('loads a system prompt over MAX_PROMPT_TOKENS with a focus warning giving its size (a proposal is refused)', () => {
    const prompt = `${'word '.repeat(1001).trim()}`;
    expect(countTokens(prompt)).toBe(1001);
    const dir = withFile('Verbose.yaml', spec('Verbose', { system_prompt: prompt }));
    const loaded = loadRoster(dir);
    expect(loaded.get('Verbose')?.system_prompt).toBe(prompt);
    expect(rosterWarnings(loaded).filter((w) => w.specialist === 'Verbose').map((w) => w.rule)).toEqual(['prompt_tokens']);
    expect(specialistProblems(loaded.get('Verbose')!)).toEqual([{ field: 'system_prompt', message: 'is 1001 tokens; the limit is 1000' }]);
  });

  it('accepts a system prompt of exactly MAX_PROMPT_TOKENS', () => {
    const prompt = 'word '.repeat(1000).trim();
    expect(countTokens(prompt)).toBe(1000);
    const dir = withFile('Exact.yaml', spec('Exact', { system_prompt: prompt }));
    expect(loadRoster(dir).get('Exact')?.system_prompt).toBe(prompt);
  });

  it('fails on a system prompt that is too short', () => {
    const dir = withFile('Terse.yaml', spec('Terse', { system_prompt: 'Be brief.' }));
    expectConfigInvalid(loadError(dir), path.join(dir, 'Terse.yaml'), 'system_prompt', 'Too small: expected string to have >=50 characters');
  });

  it('fails on expected_duration_minutes of the wrong type', () => {
    const dir = withFile('Slow.yaml', spec('Slow', { expected_duration_minutes: 'fifteen' }));
    expectConfigInvalid(loadError(dir), path.join(dir, 'Slow.yaml'), 'expected_duration_minutes', 'Invalid input: expected number, received string');
  });

  it('fails on expected_duration_minutes out of range', () => {
    const dir = withFile('Never.yaml', spec('Never', { expected_duration_minutes: 0 }));
    expectConfigInvalid(loadError(dir), path.join(dir, 'Never.yaml'), 'expected_duration_minutes', 'Too small: expected number to be >0');
  });

  it('fails on a keyword of the wrong type, naming its index', () => {
    const dir = withFile('Keys.yaml', spec('Keys', { keywords: ['sql', 7] }));
    expectConfigInvalid(loadError(dir), path.join(dir, 'Keys.yaml'), 'keywords.1', 'Invalid input: expected string, received number');
  });

  it('fails on a folder that does not exist or holds no YAML', () => {
    const missing = path.join(os.tmpdir(), 'pantheon-roster-does-not-exist-7f3a');
    expectConfigInvalid(loadError(missing), missing, '(folder)', 'does not exist (PANTHEON_ROSTER_DIR)');
    const empty = rosterDir({ 'README.md': 'nothing here' });
    expectConfigInvalid(loadError(empty), empty, '(folder)', 'holds no specialist *.yaml files');
  });

  it('names a roster given as a file, or as nothing, and the setting that gave it', () => {
    const dir = withFile('Helper.yaml', spec('Helper', { fallback: true }));
    const file = path.join(dir, 'Helper.yaml');
    const error = (run: () => unknown) => {
      try {
        run();
      } catch (err) {
        return err as PantheonError;
      }
      throw new Error('loaded');
    };
    expectConfigInvalid(error(() => loadRoster(file, '--dir')), file, '(folder)', 'is a file, not a folder of specialist *.yaml files (--dir)');
    expectConfigInvalid(error(() => loadRoster('', '--dir')), '', '(folder)', 'is empty: name the roster folder (--dir)');
  });

  it('names an entry that is no readable file: a folder named *.yaml, a dangling link', () => {
    const folder = rosterDir({ 'Helper.yaml': spec('Helper', { fallback: true }) });
    fs.mkdirSync(path.join(folder, 'Sub.yaml'));
    expectConfigInvalid(loadError(folder), path.join(folder, 'Sub.yaml'), '(file)', 'is a folder, not a specialist file');
    const linked = rosterDir({ 'Helper.yaml': spec('Helper', { fallback: true }) });
    fs.symlinkSync(path.join(linked, 'gone.yaml'), path.join(linked, 'Ghost.yaml'));
    expectConfigInvalid(loadError(linked), path.join(linked, 'Ghost.yaml'), '(file)', 'cannot be read: a link to a file that does not exist');
  });

  it('stops at the first malformed file in name order', () => {
    const dir = rosterDir({
      'Helper.yaml': spec('Helper', { fallback: true }),
      'Alpha.yaml': without(spec('Alpha'), 'model'),
      'Beta.yaml': spec('Beta', { model: 'nope' }),
    });
    expect(loadError(dir).details).toEqual({ file: path.join(dir, 'Alpha.yaml'), field: 'model' });
  });
});

describe('parseSpecialistFile and createRoster', () => {
  it('parses a file by its text, checking the name against the path given', () => {
    const parsed = parseSpecialistFile('/anywhere/Helper.yml', stringify(spec('Helper')));
    expect(parsed).toEqual({
      ...spec('Helper'),
      max_output_tokens: 700,
      fallback: false,
    });
  });

  it('builds a roster from parsed specialists', () => {
    const helper = parseSpecialistFile('Helper.yaml', stringify(spec('Helper', { fallback: true })));
    const other = parseSpecialistFile('Other.yaml', stringify(spec('Other')));
    const roster = createRoster([helper, other], 'test');
    expect(roster.fallback).toBe(helper);
    expect(roster.get('Other')).toBe(other);
    expect(() => createRoster([other], 'test')).toThrow('roster file test: field "fallback" must be true for exactly one specialist (found 0)');
  });
});
