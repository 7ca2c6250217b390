import { joinNegativeValues, parseArgs, positiveInteger } from '../../src/client/parse-args';

const options = { usd: { type: 'string' }, limit: { type: 'string', short: 'n' }, json: { type: 'boolean' } } as const;

describe('CLI flags with negative numbers', () => {
  it('takes a negative number as the value of a flag that takes one, long or short', () => {
    expect(joinNegativeValues(['--usd', '-1', '-n', '-.5'], options)).toEqual(['--usd=-1', '--limit=-.5']);
    expect(parseArgs({ args: ['--usd', '-2.5'], options }).values).toEqual({ usd: '-2.5' });
  });

  it('leaves flags, boolean flags and everything after -- as they were', () => {
    expect(joinNegativeValues(['--usd', '--json'], options)).toEqual(['--usd', '--json']);
    expect(joinNegativeValues(['--json', '-1'], options)).toEqual(['--json', '-1']);
    expect(joinNegativeValues(['--', '--usd', '-1'], options)).toEqual(['--', '--usd', '-1']);
    // A flag missing its value is still refused by node's parseArgs, naming it.
    expect(() => parseArgs({ args: ['--usd', '--json'], options })).toThrow(/--usd/);
  });
});

describe('a negative number as an argument', () => {
  it('is a positional, in its place among the others, for the command to range-check (not the unknown flag "-0")', () => {
    expect(parseArgs({ args: ['-0.1', '--usd', '-1', 'x', '-.5'], options, allowPositionals: true })).toMatchObject({ values: { usd: '-1' }, positionals: ['-0.1', 'x', '-.5'] });
    expect(parseArgs({ args: ['--', '-2'], options, allowPositionals: true }).positionals).toEqual(['-2']);
  });

  it('is still refused by a command that takes no arguments', () => {
    expect(() => parseArgs({ args: ['-1'], options })).toThrow(/-1/);
  });
});

describe("node's refusals as the CLI's own", () => {
  const options = { limit: { type: 'string' }, wait: { type: 'boolean' } } as const;
  const refusal = (args: string[], allowPositionals = false) => {
    try {
      parseArgs({ args, options, allowPositionals });
    } catch (err) {
      return err;
    }
    throw new Error('expected a refusal');
  };

  it('names an unknown option, a missing value and an unexpected argument, as invalid_input', () => {
    expect(refusal(['--bogus'])).toMatchObject({ type: 'invalid_input', message: '--bogus: unknown option (see --help)', details: { field: '--bogus' } });
    expect(refusal(['--limit'])).toMatchObject({ type: 'invalid_input', message: '--limit: argument missing', details: { field: '--limit' } });
    expect(refusal(['--wait=yes'])).toMatchObject({ type: 'invalid_input', details: { field: '--wait' } });
    expect(refusal(['extra'])).toMatchObject({ type: 'invalid_input', message: '"extra": unexpected argument; this command takes none (see --help)', details: { field: 'argument' } });
  });

  it("says which of the command's flags a misspelt one likely means (--wiat, --limt=5, --WAIT), and guesses nothing for one near none or a one-letter flag", () => {
    expect(refusal(['--wiat'])).toMatchObject({ type: 'invalid_input', message: '--wiat: unknown option; did you mean --wait? (see --help)', details: { field: '--wiat' } });
    expect(refusal(['--limt=5'])).toMatchObject({ message: '--limt: unknown option; did you mean --limit? (see --help)' });
    expect(refusal(['--WAIT'])).toMatchObject({ message: '--WAIT: unknown option; did you mean --wait? (see --help)' });
    // --help is every command's flag too.
    expect(refusal(['--hlep'])).toMatchObject({ message: '--hlep: unknown option; did you mean --help? (see --help)' });
    expect(refusal(['--bogus'])).toMatchObject({ message: '--bogus: unknown option (see --help)' });
    // `-x` is within two edits of any two-letter flag (--by): no guess.
    expect(() => parseArgs({ args: ['-x'], options: { by: { type: 'string' } } })).toThrow(expect.objectContaining({ message: '-x: unknown option (see --help)' }));
    // Two edits turn any two-letter flag into any other: `--xy` is no misspelt --by or --id.
    expect(() => parseArgs({ args: ['--xy'], options: { by: { type: 'string' }, id: { type: 'string' } } })).toThrow(expect.objectContaining({ message: '--xy: unknown option (see --help)' }));
    // One edit of a three-letter flag still is (a swap counts one).
    expect(() => parseArgs({ args: ['--wyh'], options: { why: { type: 'string' } } })).toThrow(expect.objectContaining({ message: '--wyh: unknown option; did you mean --why? (see --help)' }));
  });
});

describe('a flag given twice', () => {
  const options = { limit: { type: 'string', short: 'n' }, tag: { type: 'string', multiple: true }, wait: { type: 'boolean' } } as const;

  it('is refused naming the flag when it takes one value (long, short or --flag=value), instead of the last silently winning', () => {
    for (const args of [['--limit', '1', '--limit', '2'], ['-n', '1', '--limit=2'], ['--limit=1', '--limit=1']]) {
      expect(() => parseArgs({ args, options })).toThrow(expect.objectContaining({ type: 'invalid_input', message: '--limit: given more than once; it takes one value (see --help)', details: { field: '--limit' } }));
    }
  });

  it('is taken as given for a flag that takes many values, a switch, or a value after --', () => {
    expect(parseArgs({ args: ['--tag', 'a', '--tag', 'b', '--wait', '--wait'], options }).values).toEqual({ tag: ['a', 'b'], wait: true });
    expect(parseArgs({ args: ['--limit', '1', '--', '--limit', '2'], options, allowPositionals: true })).toMatchObject({ values: { limit: '1' }, positionals: ['--limit', '2'] });
    expect(parseArgs({ args: ['--limit', '1'], options })).not.toHaveProperty('tokens');
  });
});

describe('positiveInteger', () => {
  it('takes a positive integer and refuses anything else naming the flag (abc is not "all", 0 and -5 are not 1)', () => {
    expect(positiveInteger('20', '--limit')).toBe(20);
    for (const text of ['abc', '0', '-5', '1.5', '']) {
      expect(() => positiveInteger(text, '--limit')).toThrow(expect.objectContaining({ type: 'invalid_input', message: `--limit: expected a positive integer, got "${text}"`, details: { field: '--limit' } }));
    }
  });
});
