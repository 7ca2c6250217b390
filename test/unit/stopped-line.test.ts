import { stoppedLine } from '../../src/client/stopped-from-outside';

/** The `stopped` line `pantheon status <id>` prints for a task stopped from outside (src/client/stopped-from-outside.ts). */

describe('stoppedLine', () => {
  it('names who terminated the task and why, as a cancel request is named', () => {
    expect(stoppedLine({ how: 'terminated', by: 'temporal-cli:alice@host', reason: 'ops kill' })).toBe('terminated by temporal-cli:alice@host: "ops kill"');
    expect(stoppedLine({ how: 'terminated' })).toBe('terminated (no reason given)');
  });

  it('names the timeout that passed, once when the run has the execution timeout the server gave it', () => {
    expect(stoppedLine({ how: 'timed_out', executionTimeoutSeconds: 60, runTimeoutSeconds: 60 })).toBe('timed out: its execution timeout 60 s, set at its start, passed');
    expect(stoppedLine({ how: 'timed_out', executionTimeoutSeconds: 3600, runTimeoutSeconds: 60 })).toBe('timed out: its run timeout 60 s or execution timeout 3600 s, set at its start, passed');
    expect(stoppedLine({ how: 'timed_out' })).toBe('timed out: a timeout set at its start passed');
  });
});
