import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, KNOWN_VARIABLES } from '../../src/config/env';
import { editDistance, nearestName, unknownVariables, VARIABLES_BEYOND_ENV } from '../../src/config/unknown-variables';
import { PantheonError } from '../../src/errors';

const REPO = path.join(__dirname, '..', '..');
const KEY = `k1:${Buffer.alloc(32, 7).toString('base64')}`;

describe('nearestName', () => {
  it.each([
    ['PANTHEON_CODEC_KEY', 'PANTHEON_CODEC_KEYS'],
    ['PANTHEON_LLM_MDOE', 'PANTHEON_LLM_MODE'],
    ['PANTHEON_CODEC_KEYS_FILE', 'PANTHEON_CODEC_KEY_FILE'],
    ['PANTHEON_codec_keys', 'PANTHEON_CODEC_KEYS'],
    ['PANTHEON_LLM_TIMEOUT', 'PANTHEON_LLM_TIMEOUT_MS'],
    ['PANTHEON_OFFLINE_LATENCY', 'PANTHEON_OFFLINE_LATENCY_MS'],
    ['PANTHEON_KEYS', 'PANTHEON_CODEC_KEYS'],
    ['PANTHEON_FAULTS', 'PANTHEON_OFFLINE_FAULTS'],
    ['PANTHEON_TEST_LOGS', 'PANTHEON_TEST_LOG'],
  ])('takes %s for %s', (name, meant) => {
    expect(nearestName(name, KNOWN_VARIABLES)).toBe(meant);
  });

  it.each([
    ['far from every name', 'PANTHEON_SOMETHING_ELSE'],
    ['a word several names begin with', 'PANTHEON_CODEC'],
    ['a word several names end with', 'PANTHEON_QUEUE'],
  ])('names none for a name %s (%s)', (_why, name) => {
    expect(nearestName(name, KNOWN_VARIABLES)).toBeUndefined();
  });

  it('counts a swap of neighbouring letters as one edit', () => {
    expect(editDistance('MODE', 'MDOE')).toBe(1);
    expect(editDistance('KEY', 'KEYS')).toBe(1);
    expect(editDistance('ABC', 'XYZ')).toBe(3);
  });
});

describe('unknownVariables', () => {
  it('lists set PANTHEON_ names Pantheon does not read, and refuses only a misspelt payload key setting', () => {
    const env = {
      PANTHEON_LLM_MODE: 'offline',
      PANTHEON_LLM_MDOE: 'offline',
      PANTHEON_CODEC_KEY: KEY,
      PANTHEON_CODEC_KEYFILE: '/keys',
      PANTHEON_UNHEARD_OF: '1',
      PANTHEON_GONE: undefined,
      OTHER_TOOL_SETTING: '1',
    };
    expect(unknownVariables(env, KNOWN_VARIABLES)).toEqual([
      { name: 'PANTHEON_CODEC_KEY', nearest: 'PANTHEON_CODEC_KEYS', refused: true },
      { name: 'PANTHEON_CODEC_KEYFILE', nearest: 'PANTHEON_CODEC_KEY_FILE', refused: true },
      { name: 'PANTHEON_LLM_MDOE', nearest: 'PANTHEON_LLM_MODE', refused: false },
      { name: 'PANTHEON_UNHEARD_OF', nearest: undefined, refused: false },
    ]);
  });
});

describe('loadConfig with a PANTHEON_ name it does not know', () => {
  it('warns of it on stderr once per process, however often the config is loaded', () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      loadConfig({ PANTHEON_GOD_IDS: 'god-2' });
      loadConfig({ PANTHEON_GOD_IDS: 'god-2' });
      expect(write.mock.calls).toEqual([['warning: PANTHEON_GOD_IDS is not a Pantheon setting (did you mean PANTHEON_GOD_ID?); it is ignored\n']]);
    } finally {
      write.mockRestore();
    }
  });

  it('refuses a misspelt payload key setting with config_invalid naming it and the setting it likely means, never its value', () => {
    let err: unknown;
    try {
      loadConfig({ PANTHEON_CODEC_KEY: KEY });
    } catch (caught) {
      err = caught;
    }
    expect(err).toBeInstanceOf(PantheonError);
    const failure = err as PantheonError;
    expect(failure.type).toBe('config_invalid');
    expect(failure.details).toEqual({ variable: 'PANTHEON_CODEC_KEY' });
    expect(failure.message).toMatch(/^environment variable PANTHEON_CODEC_KEY is not a Pantheon setting \(did you mean PANTHEON_CODEC_KEYS\?\); refused/);
    expect(failure.message).not.toContain(KEY.slice(3));
  });
});

/** Constants that share the prefix but are no environment variables. */
const NOT_VARIABLES = new Set(['PANTHEON_HEADERS', 'PANTHEON_MEMORY_NAMESPACE']);
const NAME = /\bPANTHEON_[A-Z0-9_]*[A-Z0-9]/g;
/** In tests only what is read counts: the others write misspellings on purpose, as this file does. */
const READ = /process\.env(?:\.|\[')(PANTHEON_[A-Z0-9_]*[A-Z0-9])/g;

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : filesUnder(full);
    return /\.(ts|js|sh)$/.test(entry.name) || dir.endsWith('.ci') ? [full] : [];
  });
}

/** The list of names itself reads none. */
const LIST = path.join(REPO, 'src', 'config', 'unknown-variables.ts');

/** Every PANTHEON_ name the tree reads, with a file that reads it. */
function namesInTree(): Map<string, string> {
  const found = new Map<string, string>();
  const files = [...['src', 'scripts', 'bench', 'test', '.ci'].flatMap((dir) => filesUnder(path.join(REPO, dir))), path.join(REPO, 'package.json')];
  for (const file of files.filter((f) => f !== LIST)) {
    const relative = path.relative(REPO, file);
    const text = fs.readFileSync(file, 'utf8');
    const testCase = /^test\/(unit|integration)\//.test(relative);
    const names = testCase ? [...text.matchAll(READ)].map((m) => m[1]) : (text.match(NAME) ?? []);
    for (const name of names) if (!NOT_VARIABLES.has(name) && !found.has(name)) found.set(name, relative);
  }
  return found;
}

describe('the known names', () => {
  const inTree = namesInTree();

  it('hold every PANTHEON_ name read in src, scripts, bench, .ci and the tests (a new one goes into Env or VARIABLES_BEYOND_ENV)', () => {
    const known = new Set(KNOWN_VARIABLES);
    expect([...inTree].filter(([name]) => !known.has(name)).map(([name, file]) => `${name} (${file})`)).toEqual([]);
  });

  it('hold no name beyond Env that nothing reads any more', () => {
    expect(VARIABLES_BEYOND_ENV.filter((name) => !inTree.has(name))).toEqual([]);
  });
});
