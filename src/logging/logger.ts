import pino, { type Logger as PinoLogger } from 'pino';

/**
 * Pantheon's one logger. JSON lines by default (for log shippers), pretty in a terminal.
 * Anything that looks like a credential is redacted wherever it appears in a log object.
 */
export const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  '*.*.headers.authorization',
  'headers.Authorization',
  '*.headers.Authorization',
  '*.*.headers.Authorization',
  '*.headers["x-api-key"]',
  '*.*.*.apiKey',
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'QDRANT_API_KEY',
  '*.OPENAI_API_KEY',
  '*.ANTHROPIC_API_KEY',
  '*.QDRANT_API_KEY',
  'TEMPORAL_API_KEY',
  '*.TEMPORAL_API_KEY',
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
];

export interface LoggerOptions {
  level?: string;
  pretty?: boolean;
  name?: string;
  /** Where JSON lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: pino.DestinationStream;
}

export function createLogger({ level = 'info', pretty = false, name = 'pantheon', destination }: LoggerOptions = {}): PinoLogger {
  const options: pino.LoggerOptions = { name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (destination) return pino(options, destination);
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino(options);
}

/** Masks a secret for display: enough to recognise it, never enough to use it. */
export function maskSecret(secret: string | undefined): string {
  if (!secret) return '(unset)';
  return secret.length <= 8 ? '****' : `${secret.slice(0, 3)}…${secret.slice(-2)}`;
}
