import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { runCli } from '../support/cli';
import { findFreePort } from '../../src/runtime/free-port';

/**
 * TEMPORAL_ADDRESS naming something that speaks HTTP/2 but is not Temporal (a proxy's default
 * route, another gRPC service): the connection opens, and the first call comes back as the SDK's
 * raw "12 UNIMPLEMENTED: Received HTTP status code 404", which said nothing of what to check.
 */
let server: http2.Http2Server;
let address: string;

beforeAll(async () => {
  server = http2.createServer();
  server.on('stream', (stream) => {
    stream.respond({ ':status': 404 });
    stream.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

it('a CLI command against an HTTP/2 server that is not Temporal says what answered and which settings name the server', async () => {
  const run = await runCli(['list'], { TEMPORAL_ADDRESS: address });
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^error: .*Received HTTP status code 404/);
  expect(run.stderr).toContain("speaks HTTP/2 but is not Temporal's frontend");
  expect(run.stderr).toContain('TEMPORAL_ADDRESS');
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
});

it('a CLI command with nothing listening at TEMPORAL_ADDRESS says it cannot reach Temporal, and exits 75 (try again later), not 1', async () => {
  const free = `127.0.0.1:${await findFreePort()}`;
  const run = await runCli(['list'], { TEMPORAL_ADDRESS: free });
  expect(run.code).toBe(75);
  expect(run.stdout).toBe('');
  expect(run.stderr).toContain(`error: temporal_unavailable: cannot reach Temporal at ${free} (TEMPORAL_ADDRESS), namespace default, api key: unset, tls: off. `);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
});
