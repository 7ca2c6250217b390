import { isPantheonError } from '../../src/errors';
import { unknownSubcommand } from '../../src/client/unknown-subcommand';

const BUDGET = ['show', 'close', 'open', 'override', 'share', 'limits', 'export', 'restore', 'reset'];
const GOD = ['status', 'queue', 'goals', 'specialists', 'decisions', 'start', 'pause', 'resume', 'add-goal', 'remove-goal', 'share'];

describe('an unknown command or subcommand', () => {
  it('is told the one it likely misspells, then the usage', () => {
    expect(unknownSubcommand('budget', 'restor', BUDGET, 'USAGE').message).toBe('budget: unknown subcommand "restor"; did you mean restore?\nUSAGE');
    expect(unknownSubcommand('god', 'strat', GOD, 'USAGE').message).toBe('god: unknown subcommand "strat"; did you mean start?\nUSAGE');
    expect(unknownSubcommand('god', 'add_goal', GOD, 'USAGE').message).toMatch(/did you mean add-goal\?/);
    expect(unknownSubcommand(undefined, 'stauts', ['submit', 'status', 'list'], 'USAGE').message).toBe('unknown command "stauts"; did you mean status?\nUSAGE');
  });

  it('lists the ones there are when none is close (a guess is fewer edits than half its letters: "ax" is no guess at add)', () => {
    expect(unknownSubcommand('budget', 'rewind', BUDGET, 'USAGE').message).toBe(
      "budget: unknown subcommand \"rewind\"; the subcommands are show, close, open, override, share, limits, export, restore, reset\nUSAGE",
    );
    expect(unknownSubcommand('constraints', 'ax', ['list', 'add', 'remove'], 'USAGE').message).toMatch(/"ax"; the subcommands are list, add, remove\n/);
    expect(unknownSubcommand(undefined, 'launch', ['submit', 'status', 'list'], 'USAGE').message).toMatch(/^unknown command "launch"; the commands are submit, status, list\n/);
  });

  it('is bad input naming the field: the subcommand, or the command', () => {
    const sub = unknownSubcommand('dlq', 'lst', ['list', 'redrive'], 'USAGE');
    const top = unknownSubcommand(undefined, 'lst', ['list'], 'USAGE');
    expect(isPantheonError(sub) && { type: sub.type, details: sub.details }).toEqual({ type: 'invalid_input', details: { field: 'subcommand' } });
    expect(isPantheonError(top) && top.details).toEqual({ field: 'command' });
  });
});
