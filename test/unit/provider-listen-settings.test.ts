import net from 'node:net';
import { PantheonError } from '../../src/errors';
import { intFromEnv } from '../../src/llm/offline/serve-env';
import { listenFailure } from '../../src/runtime/listen-error';

const AT = { hostVariable: 'PANTHEON_OFFLINE_HOST', portVariable: 'PANTHEON_OFFLINE_PORT' };

/** What a real listen on host:port fails with. */
function listenError(host: string, port: number): Promise<unknown> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', resolve);
    server.listen(port, host, () => server.close(() => resolve(undefined)));
  });
}

describe('npm run provider settings', () => {
  it('reads PANTHEON_OFFLINE_PORT, refusing one past 65535 or not a whole number with the variable named', () => {
    expect(intFromEnv({}, 'PANTHEON_OFFLINE_PORT', 8787, 65535)).toBe(8787);
    expect(intFromEnv({ PANTHEON_OFFLINE_PORT: ' ' }, 'PANTHEON_OFFLINE_PORT', 8787, 65535)).toBe(8787);
    expect(intFromEnv({ PANTHEON_OFFLINE_PORT: '0' }, 'PANTHEON_OFFLINE_PORT', 8787, 65535)).toBe(0);
    for (const bad of ['99999', '-1', '80.5', 'http']) {
      let err: unknown;
      try {
        intFromEnv({ PANTHEON_OFFLINE_PORT: bad }, 'PANTHEON_OFFLINE_PORT', 8787, 65535);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PantheonError);
      expect((err as PantheonError).type).toBe('config_invalid');
      expect((err as PantheonError).message).toBe(`environment variable PANTHEON_OFFLINE_PORT: must be a whole number from 0 to 65535 (got "${bad}")`);
    }
  });

  it('names PANTHEON_OFFLINE_PORT when the port is taken', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const err = listenFailure(await listenError('127.0.0.1', port), { host: '127.0.0.1', port, ...AT });
      expect(err?.type).toBe('config_invalid');
      expect(err?.message).toMatch(new RegExp(`^environment variable PANTHEON_OFFLINE_PORT: cannot listen on 127\\.0\\.0\\.1:${port} \\(the port is taken`));
      expect(err?.details).toEqual({ variable: 'PANTHEON_OFFLINE_PORT' });
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('names PANTHEON_OFFLINE_HOST when the host does not resolve', async () => {
    const err = listenFailure(await listenError('no-such-host.invalid', 0), { host: 'no-such-host.invalid', port: 8787, ...AT });
    expect(err?.message).toMatch(/^environment variable PANTHEON_OFFLINE_HOST: cannot listen on no-such-host\.invalid:8787: getaddrinfo/);
  });

  it('leaves any other failure as it is', () => {
    expect(listenFailure(new Error('boom'), { host: 'h', port: 1, ...AT })).toBeUndefined();
  });
});
