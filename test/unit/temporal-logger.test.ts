import { Writable } from 'node:stream';
import pino from 'pino';
import { temporalLoggerFor } from '../../src/logging/temporal-logger';

function capture() {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { logger: temporalLoggerFor(pino({ level: 'trace' }, sink)), lines };
}

describe("the SDK's log lines through pino", () => {
  it("logs the ledger worker's expected 'no activities' warning at info, and every other warning at warn", () => {
    const { logger, lines } = capture();
    logger.warn('No activities registered, not polling for activity tasks', { taskQueue: 'pantheon-budget' });
    logger.warn('Activity failed', { attempt: 2 });
    logger.log('WARN', 'No activities registered, not polling for activity tasks');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [30, 'No activities registered, not polling for activity tasks'],
      [40, 'Activity failed'],
      [30, 'No activities registered, not polling for activity tasks'],
    ]);
  });
});
