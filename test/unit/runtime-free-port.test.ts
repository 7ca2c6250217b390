import net from 'node:net';
import { findFreePort } from '../../src/runtime/free-port';

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

describe('findFreePort', () => {
  it('returns a port that can be bound at once', async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(1023);
    expect(port).toBeLessThan(65536);
    const server = await listen(port);
    expect((server.address() as net.AddressInfo).port).toBe(port);
    await new Promise((r) => server.close(r));
  });

  it('does not return a port that is taken', async () => {
    const taken = await listen(0);
    const takenPort = (taken.address() as net.AddressInfo).port;
    const ports = await Promise.all(Array.from({ length: 5 }, () => findFreePort()));
    expect(ports).not.toContain(takenPort);
    await new Promise((r) => taken.close(r));
  });
});
