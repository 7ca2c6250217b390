import { parseRoutingArgs } from '../../bench/routing.bench';

/** `npm run bench:routing`'s own options: a misspelt one is named, with the one it likely means. */
describe('routing benchmark options', () => {
  it('takes its options and their defaults', () => {
    expect(parseRoutingArgs(['--tasks', '40', '--json'])).toMatchObject({ tasks: 40, concurrency: 10, exploitFrom: 20, json: true });
    expect(parseRoutingArgs(['--help'])).toBeUndefined();
  });

  it('names a misspelt switch as unknown, with a guess, instead of saying it needs a value', () => {
    expect(() => parseRoutingArgs(['--jsno'])).toThrow('unknown option "--jsno"; did you mean --json?');
    expect(() => parseRoutingArgs(['--concurency', '4'])).toThrow('unknown option "--concurency"; did you mean --concurrency?');
    expect(() => parseRoutingArgs(['--wat', '4'])).toThrow(/^unknown option "--wat"$/);
    expect(() => parseRoutingArgs(['--seed'])).toThrow('--seed: needs a value');
  });
});
