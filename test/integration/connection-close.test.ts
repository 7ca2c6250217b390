import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { openClientConnection } from '../../src/client/connection';
import { loadTemporalConnection } from '../../src/config/temporal-connection';
import { connectWhenReady } from '../../src/runtime/connect';
import { testAddress } from '../support/harness';

/**
 * A Temporal call cut off by its connection's close. The SDK retries a failed call from a timer;
 * a retry that fires after the close used to throw "Channel has been shut down" from that timer,
 * an uncaught exception that ended the process (a test file in a full run failed so), and the
 * call's promise never settled. Now the call fails, and the caller hears it.
 */

/** Every message along an error's cause chain, joined. */
function messages(err: unknown): string {
  const said: string[] = [];
  for (let e = err as { message?: string; cause?: unknown } | undefined, depth = 0; e && depth < 8; e = e.cause as typeof e, depth++) said.push(String(e.message));
  return said.join(' <- ');
}

/** The promise's outcome, or 'still pending' after `ms` (a call whose retry threw never settles). */
function settledWithin<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | { error: unknown } | 'still pending'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'still pending'>((resolve) => (timer = setTimeout(() => resolve('still pending'), ms)));
  return Promise.race([promise.then((value) => ({ value }), (error: unknown) => ({ error })), late]).finally(() => clearTimeout(timer));
}

it('a call still waiting for its channel when the connection closes fails CANCELLED, naming the close, instead of retrying on the closed channel', async () => {
  const connection = await openClientConnection(loadTemporalConnection({ TEMPORAL_ADDRESS: testAddress() }));
  // Sent in the same turn as the close: grpc-js fails it UNAVAILABLE before it leaves, a code the SDK retries.
  const described = connection.workflowService.describeNamespace({ namespace: 'default' });
  await connection.close();

  const outcome = await settledWithin(described, 5000);
  expect(outcome).toMatchObject({ error: expect.objectContaining({ code: 1 }) });
  expect(messages((outcome as { error: unknown }).error)).toMatch(/the Temporal connection was closed before this call could be sent \(again\)/);
});

it('a server start abandoned while the SDK is retrying its first call fails with the reason, and the retry throws nothing after the close', async () => {
  // A frontend still starting: it takes the connection and answers every call UNAVAILABLE, which the SDK retries.
  const starting = http2.createServer();
  let calls = 0;
  starting.on('stream', (stream) => {
    calls++;
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '14', 'grpc-message': 'still starting' }, { endStream: true });
  });
  await new Promise<void>((resolve) => starting.listen(0, '127.0.0.1', resolve));
  try {
    let abandon!: (why: string) => void;
    const abandoned = new Promise<string>((resolve) => (abandon = resolve));
    const connecting = connectWhenReady(`127.0.0.1:${(starting.address() as AddressInfo).port}`, 'default', { timeoutMs: 30_000, abandon: abandoned, attemptConnectMs: 2000 });
    while (calls < 2) await new Promise((r) => setTimeout(r, 20));
    abandon('the server process died');

    const outcome = await settledWithin(connecting, 5000);
    expect(outcome).toMatchObject({ error: expect.objectContaining({ message: expect.stringMatching(/^the server process died/) }) });
    // The SDK's next retry of the attempt the close cut off was due within ~0.5 s: it must not throw when it comes.
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    await new Promise((resolve) => starting.close(resolve));
  }
});
