import { godStartCommand } from './commands/god';
import { exitOnError } from './exit';

/**
 * `npm run god [-- --goals FILE]`: starts God on the Temporal server TEMPORAL_ADDRESS names
 * (default localhost:7233), idempotently, with its watchdog Schedule, and says what it did. Workers
 * run God: start one with `npm run worker` (or `npm start`, which runs everything).
 */
exitOnError(() => godStartCommand(process.argv.slice(2)));
