import { GOD_START_USAGE, godStartCommand } from './commands/god';
import { exitOnError } from './exit';
import { HelpRequested } from './parse-args';

/**
 * `npm run god [-- --goals FILE] [--config JSON | --config-file FILE]`: `pantheon god start`. Starts
 * God on the Temporal server TEMPORAL_ADDRESS names (default localhost:7233), idempotently, with its
 * watchdog Schedule, and says what it did; a killed God's state is resumed. Workers run God: start
 * one with `npm run worker` (or `npm start`, which runs everything).
 */
exitOnError(async () => {
  try {
    await godStartCommand(process.argv.slice(2));
  } catch (err) {
    // `npm run god -- --help` printed "error: help requested", exit 1.
    if (!(err instanceof HelpRequested)) throw err;
    console.log(GOD_START_USAGE);
  }
});
