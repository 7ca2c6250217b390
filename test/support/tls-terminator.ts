import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

/**
 * A test-only TLS front for the suite's plaintext dev server (`temporal server start-dev` has no TLS
 * flags): it does the TLS handshake, demanding a client certificate signed by `ca` (mTLS), then
 * pipes bytes to `target`. After the handshake gRPC over TLS and h2c are the same HTTP/2 frames,
 * so clients and workers see a TLS-only Temporal server.
 */
export interface TlsTerminator {
  /** host:port to connect to. */
  address: string;
  /** Connections that presented a trusted client certificate and were piped through. */
  accepted: number;
  /** Why refused handshakes failed (e.g. "peer did not return a certificate"). */
  refusals: string[];
  close(): Promise<void>;
}

export async function startTlsTerminator(options: { target: string; cert: string; key: string; ca: string }): Promise<TlsTerminator> {
  const [targetHost, targetPort] = splitAddress(options.target);
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const state = { accepted: 0, refusals: [] as string[] };
  const server = tls.createServer(
    {
      cert: fs.readFileSync(options.cert),
      key: fs.readFileSync(options.key),
      ca: fs.readFileSync(options.ca),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (front) => {
      state.accepted += 1;
      const back = net.connect(targetPort, targetHost);
      track(front);
      track(back);
      front.pipe(back).pipe(front);
      front.on('error', () => back.destroy());
      back.on('error', () => front.destroy());
      front.on('close', () => back.destroy());
      back.on('close', () => front.destroy());
    },
  );
  server.on('connection', track);
  server.on('tlsClientError', (err) => state.refusals.push(err.message));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    get accepted() {
      return state.accepted;
    },
    get refusals() {
      return state.refusals;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
