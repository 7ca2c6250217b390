import { unknownSignalWarning } from '../../src/workflows/unknown-signals';

describe('the warning for a signal a workflow does not take', () => {
  const godSignals = ['taskFinished', 'routedOutcome'];
  const godUpdates = ['submitTask', 'pause', 'resume'];

  test('names the signal, the workflow and the signals it takes', () => {
    expect(unknownSignalWarning('god', 'nudge', godSignals, godUpdates)).toBe('signal "nudge" ignored: god takes no such signal (it takes taskFinished, routedOutcome)');
  });

  test('an update sent as a signal is told how to send it', () => {
    expect(unknownSignalWarning('god', 'pause', godSignals, godUpdates)).toBe(
      "signal \"pause\" ignored: god takes no such signal (it takes taskFinished, routedOutcome); pause is an update: temporal workflow update execute --name pause --workflow-id <id> --input '{…}'",
    );
    expect(unknownSignalWarning('god', 'Resume', godSignals, godUpdates)).toMatch(/; resume is an update: temporal workflow update execute --name resume /);
  });

  test('a signal in the wrong case is named as the one meant', () => {
    expect(unknownSignalWarning('god', 'taskfinished', godSignals, godUpdates)).toMatch(/; did you mean taskFinished\? Names are case-sensitive$/);
  });
});
