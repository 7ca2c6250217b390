import { log, setDefaultSignalHandler } from '@temporalio/workflow';

/** A signal or update definition: only its name matters here. */
interface Named {
  name: string;
}

/**
 * The warning for a signal no handler of the workflow takes, with what was probably meant: the
 * same name in another case (`flagstale`), or an update of that name (`pause` sent with
 * `temporal workflow signal`). Pure, so its wording is tested without a server.
 *
 * @example unknownSignalWarning('god', 'pause', ['taskFinished'], ['pause'])
 *   // 'signal "pause" ignored: god takes no such signal (it takes taskFinished); pause is an update: temporal workflow update execute --name pause …'
 */
export function unknownSignalWarning(workflowType: string, name: string, signals: readonly string[], updates: readonly string[] = []): string {
  const said = `signal "${name}" ignored: ${workflowType} takes no such signal (it takes ${signals.join(', ')})`;
  const sameButCase = signals.find((s) => s.toLowerCase() === name.toLowerCase());
  if (sameButCase) return `${said}; did you mean ${sameButCase}? Names are case-sensitive`;
  const update = updates.find((u) => u.toLowerCase() === name.toLowerCase());
  if (update) return `${said}; ${update} is an update: temporal workflow update execute --name ${update} --workflow-id <id> --input '{…}'`;
  return said;
}

/**
 * Warns in the worker's log of every signal the workflow has no handler for. Temporal accepts a
 * signal of any name (the Temporal CLI says "Signal workflow succeeded"), and without a default
 * handler one under a wrong name was kept unread without a word. Call it after the workflow's own
 * handlers are set, before its first await. Logging only: no command, so histories replay as before.
 */
export function warnOfUnknownSignals(workflowType: string, signals: readonly Named[], updates: readonly Named[] = []): void {
  const signalNames = signals.map((s) => s.name);
  const updateNames = updates.map((u) => u.name);
  setDefaultSignalHandler((name) => {
    log.warn(unknownSignalWarning(workflowType, name, signalNames, updateNames), { signal: name });
  });
}
