import { Client, Connection } from '@temporalio/client';
import { errorReport, exitCodeFor } from '../../src/client/exit';
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
