import { exitOnError } from '../client/exit';
import { loadConfig } from '../config/env';
import { onStopSignals } from './stop-signals';
import { ensureTemporal } from './temporal';
import { stoppedOrphanNotice } from './orphan-server';

/**
 * `npm run server`: a Temporal server for Pantheon that keeps running until Ctrl-C, for when the
 * worker and the client are started separately. With a server configured (TEMPORAL_ADDRESS or a
 * temporal.toml profile) it only checks that server and registers the search attributes, then
 * waits like the dev-server case would.
 */
async function main(): Promise<void> {
  // The same checks as npm start and the workers (a padded namespace, a bad profile), before a
  // server is started for settings the worker will then refuse.
  const config = loadConfig();
  const temporal = await ensureTemporal({ connection: config.temporal.connection });
  const orphan = temporal.started?.stoppedOrphan;
  if (orphan !== undefined) process.stdout.write(`${stoppedOrphanNotice(orphan)}\n`);
  const what = temporal.started ? `Temporal dev server (pid ${temporal.started.pid}, log ${temporal.started.logFile})` : 'Temporal (existing server)';
  process.stdout.write(`${what} at ${temporal.address}, namespace ${temporal.namespace}\n`);
  process.stdout.write(temporal.uiUrl ? `Web UI: ${temporal.uiUrl}\n` : 'Web UI: disabled (headless)\n');
  if (temporal.started) process.stdout.write(`Use it from another shell with TEMPORAL_ADDRESS=${temporal.address}\n`);

  // Keeps the event loop alive even when nothing was started (an existing server).
  const keepAlive = setInterval(() => {}, 1 << 30);
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    stopping = true;
    process.stdout.write(`${signal}: stopping\n`);
    clearInterval(keepAlive);
    temporal.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  onStopSignals(shutdown);
  // The server dying on its own is worth knowing about, not silently waiting on.
  temporal.started?.exited.then((why) => {
    if (stopping) return;
    process.stderr.write(`Temporal dev server exited (${why}); see ${temporal.started?.logFile}\n`);
    process.exit(1);
  });
}

// One error line with its type, and exit 75 when the server named does not answer (as npm start).
exitOnError(main);
