import net from 'node:net';

/**
 * A TCP port that was free a moment ago on `host`: the OS picks it (listen on port 0), we release
 * it, and the caller binds it next. Another process could grab it in between; the dev server then
 * dies at once and startDevServer reports it, which is good enough for tests and local runs.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => (port ? resolve(port) : reject(new Error(`no free port on ${host}`))));
    });
  });
}
