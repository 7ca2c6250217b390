import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { errorReport, exitCodeFor } from '../../src/client/exit';
import { answered, type GodSession } from '../../src/client/god-client';
import { findFreePort } from '../../src/runtime/free-port';
import { testAddress } from '../support/harness';

/**
 * A Temporal server that is reachable but cannot serve (its database down: UNAVAILABLE; no answer
 * in time: DEADLINE_EXCEEDED) is a temporary failure: exit 75, as when it cannot be reached at all.
 * The error here is the real one the SDK raises, from a call given no time to answer.
 */
let connection: Connection;

beforeAll(async () => {
  connection = await Connection.connect({ address: testAddress() });
});

afterAll(async () => {
  await connection?.close();
});

it('a call the server does not answer in time exits 75 with a hint to try again, not 1', async () => {
  const client = new Client({ connection });
  const err = await connection.withDeadline(Date.now() + 1, () => client.workflow.getHandle('no-such-task').describe()).catch((e: unknown) => e);
  expect(String((err as Error).message) + String((err as Error).cause)).toMatch(/DEADLINE_EXCEEDED/);
  expect(exitCodeFor(err)).toBe(75);
  expect(errorReport(err, false)).toMatch(/cannot serve the request now.*try again later; exit 75\)\n$/);
});

it('a call the server answers with a refusal still exits 1', async () => {
  const client = new Client({ connection });
  const err = await client.workflow.getHandle('no-such-task').describe().catch((e: unknown) => e);
  expect(exitCodeFor(err)).toBe(1);
  expect(errorReport(err, false)).not.toMatch(/try again later/);
});

/** A client of an address nothing listens on (a server down), retrying once so the test is quick. */
async function clientOfNothing(): Promise<{ client: Client; address: string; close(): Promise<void> }> {
  const address = `127.0.0.1:${await findFreePort()}`;
  const dead = await Connection.lazy({ address, interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 1 }))] });
  return { client: new Client({ connection: dead }), address, close: () => dead.close() };
}

it('a server that is down (nothing listens) exits 75 saying nothing answers there, not that it is reachable', async () => {
  const nothing = await clientOfNothing();
  try {
    const err = await nothing.client.workflow.getHandle('no-such-task').describe().catch((e: unknown) => e);
    expect(exitCodeFor(err)).toBe(75);
    const report = errorReport(err, false);
    expect(report).toMatch(/nothing answers at the Temporal address now: the server is down or restarting.*exit 75\)\n$/);
    expect(report).not.toMatch(/reachable/);
  } finally {
    await nothing.close();
  }
});

it("God not answering because the server is down is temporal_unavailable naming the address, not a worker's fault", async () => {
  const nothing = await clientOfNothing();
  try {
    const god = { client: nothing.client, handle: nothing.client.workflow.getHandle('pantheon-god'), godId: 'pantheon-god', address: nothing.address, namespace: 'default', taskQueue: 'pantheon-tasks' } as GodSession;
    // What a query left without an answer raises: the real deadline error of the SDK.
    const err = (await answered(god, () => nothing.client.withDeadline(Date.now() + 1, () => god.handle.query('state'))).catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ type: 'temporal_unavailable' });
    expect(err.message).toMatch(new RegExp(`^God could not be asked: Temporal at ${nothing.address} does not answer \\(.+\\); is the server up\\?`));
    expect(exitCodeFor(err)).toBe(75);
  } finally {
    await nothing.close();
  }
});
