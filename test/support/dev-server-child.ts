import { startDevServer } from '../../src/runtime/dev-server';

/**
 * A process that starts a dev server on a SQLite file and runs until killed, as `npm start`
 * does: `node --import tsx dev-server-child.ts <dbFile> <logFile>` prints `<server pid> <address>`
 * once the server answers.
 */
const [dbFile, logFile] = process.argv.slice(2);
startDevServer({ port: 0, headless: true, dbFile, logFile }).then(
  (server) => {
    process.stdout.write(`${server.pid} ${server.address}\n`);
    setInterval(() => {}, 1 << 30);
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
