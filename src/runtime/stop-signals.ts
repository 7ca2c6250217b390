import type { EventEmitter } from 'node:events';
import { constants } from 'node:os';

/**
 * One stop request, however many signals carry it. Ctrl-C reaches a process twice under npm (the
 * terminal signals the whole foreground group, and npm relays its own copy to the script), and
 * `timeout` signals both its child and its group. With a one-shot listener the second copy found
 * no listener left and Node's default action killed the process mid-drain: in-flight activities
 * abandoned and `npm start`'s dev server left running. So the listener stays until `dispose()`:
 * copies within `sameRequestMs` of the first are the same request and ignored, and a signal after
 * that is someone asking again, which `force` answers (by default: exit at once, which still runs
 * the 'exit' handlers, such as the one that kills a dev server we started).
 */

export const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Signals closer together than this are one request (a relay arrives within milliseconds). */
const SAME_REQUEST_MS = 1_000;

export interface StopSignalOptions {
  signals?: NodeJS.Signals[];
  sameRequestMs?: number;
  /** A stop asked for again while the first is under way. */
  force?: (signal: NodeJS.Signals) => void;
  /** Where signals arrive; tests pass an EventEmitter. */
  source?: Pick<EventEmitter, 'on' | 'off'>;
  now?: () => number;
}

function exitAtOnce(signal: NodeJS.Signals): void {
  process.stderr.write(`${signal} again: stopping at once, without waiting for the work under way\n`);
  // 128 + the signal's number: how a shell reports a process that a signal ended.
  process.exit(128 + constants.signals[signal]);
}

/** Calls `stop` on the first stop signal; returns the function that removes the listeners. */
export function onStopSignals(stop: (signal: NodeJS.Signals) => void, options: StopSignalOptions = {}): () => void {
  const { signals = STOP_SIGNALS, sameRequestMs = SAME_REQUEST_MS, force = exitAtOnce, source = process, now = Date.now } = options;
  let firstAt: number | undefined;
  const listener = (signal: NodeJS.Signals) => {
    if (firstAt === undefined) {
      firstAt = now();
      stop(signal);
    } else if (now() - firstAt >= sameRequestMs) {
      force(signal);
    }
  };
  for (const signal of signals) source.on(signal, listener);
  return () => {
    for (const signal of signals) source.off(signal, listener);
  };
}
