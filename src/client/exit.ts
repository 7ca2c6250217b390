import { isPantheonError } from '../errors';

/** Runs a command's main; any failure prints one clear line (the field, the cause) and exits 1. */
export function exitOnError(main: () => Promise<void>): void {
  main().then(
    () => undefined,
    (err: unknown) => {
      const message = isPantheonError(err) ? `${err.type}: ${err.message}` : err instanceof Error ? err.message : String(err);
      process.stderr.write(`error: ${message}\n`);
      if (process.env.PANTHEON_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exit(1);
    },
  );
}
