import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import type { Logger as PinoLogger } from 'pino';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * SDK warnings that describe Pantheon's design, not trouble: the budget ledger's worker runs
 * workflows only, so the SDK warns at every worker start that it polls for no activities. Logged
 * at info, so `LOG_LEVEL=warn` shows only what needs a look.
 */
const EXPECTED_SDK_WARNINGS = [/^No activities registered, not polling for activity tasks$/];

/** The level an SDK line is logged at: its own, but an expected warning at info. */
function levelFor(level: LogLevel, message: string): LogLevel {
  return level === 'WARN' && EXPECTED_SDK_WARNINGS.some((pattern) => pattern.test(message)) ? 'INFO' : level;
}

/** The Temporal Runtime's logger interface, written through pino (workflow, activity and SDK logs). */
export function temporalLoggerFor(pino: PinoLogger): Logger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => pino[LEVELS[levelFor(level, message)]]({ ...meta }, message);
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}
