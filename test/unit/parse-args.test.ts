import { joinNegativeValues, parseArgs } from '../../src/client/parse-args';

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
