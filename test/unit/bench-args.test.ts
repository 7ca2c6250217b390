import { parseArgs, UsageError } from '../../bench/args';

describe('bench options', () => {
  it('budgets the pipeline through the ledger unless told otherwise', () => {
    expect(parseArgs([], {})?.ledger).toBe(true);
    expect(parseArgs([], { BENCH_LEDGER: 'on' })?.ledger).toBe(true);
  });

  it('runs without the ledger with --no-ledger or BENCH_LEDGER=off', () => {
    expect(parseArgs(['--no-ledger'], {})?.ledger).toBe(false);
    expect(parseArgs([], { BENCH_LEDGER: 'OFF' })?.ledger).toBe(false);
    expect(parseArgs(['--no-ledger', '--tasks', '5'], { BENCH_LEDGER: 'on' })).toMatchObject({ ledger: false, tasks: 5 });
  });

  it('names BENCH_LEDGER when its value is neither on nor off', () => {
    expect(() => parseArgs([], { BENCH_LEDGER: 'no' })).toThrow(UsageError);
    expect(() => parseArgs([], { BENCH_LEDGER: 'no' })).toThrow(/BENCH_LEDGER: expected "on" or "off", got "no"/);
  });

  it('names the option it does not know', () => {
    expect(() => parseArgs(['--no-ledgers'], {})).toThrow(/unknown option "--no-ledgers"/);
  });

  it('says which option a misspelt one likely means, as pantheon does for its flags, and guesses nothing far from all', () => {
    expect(() => parseArgs(['--concurency', '5'], {})).toThrow(new UsageError('unknown option "--concurency"; did you mean --concurrency?'));
    expect(() => parseArgs(['--task=5'], {})).toThrow(new UsageError('unknown option "--task=5"; did you mean --tasks?'));
    expect(() => parseArgs(['--jsno'], {})).toThrow(new UsageError('unknown option "--jsno"; did you mean --json?'));
    expect(() => parseArgs(['--seed', '7'], {})).toThrow(new UsageError('unknown option "--seed"'));
  });
});
