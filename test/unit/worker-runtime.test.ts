import pino from 'pino';
import { workerRuntimeOptions } from '../../src/workers/runtime';

describe('the worker process Runtime', () => {
  const logger = pino({ level: 'silent' });

  it('forwards the native core\'s log lines to the process logger instead of printing them as plain text', () => {
    const { logging } = workerRuntimeOptions(logger, undefined).telemetryOptions ?? {};
    expect(logging && 'forward' in logging).toBe(true);
    expect(logging?.filter).toEqual({ core: 'WARN', other: 'ERROR' });
  });

  it('keeps the metrics endpoint when one is configured, and the shutdown to the workers\' own order', () => {
    const options = workerRuntimeOptions(logger, '127.0.0.1:9464');
    expect((options.telemetryOptions?.metrics as { prometheus: { bindAddress: string } }).prometheus.bindAddress).toBe('127.0.0.1:9464');
    expect(options.shutdownSignals).toEqual([]);
    expect(workerRuntimeOptions(logger, undefined).telemetryOptions?.metrics).toBeUndefined();
  });
});
