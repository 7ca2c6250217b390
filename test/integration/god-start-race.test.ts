import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { AesGcmCodec, parseKeyList } from '../../src/codec';
import { startGod, startedBy } from '../../src/client/god-start';
import { testAddress } from '../support/harness';

/**
 * Starting God when another start races it: the server's USE_EXISTING answers both with the same
 * run, and only the start that made it may say so. No worker runs these Gods (starting one needs
 * none): each test's God has its own id and task queue, and is terminated after.
 */

let connection: Connection;
let client: Client;
const godIds: string[] = [];

beforeAll(async () => {
  connection = await Connection.connect({ address: testAddress() });
  client = new Client({ connection });
});

afterAll(async () => {
  await Promise.all(godIds.map((id) => client.workflow.getHandle(id).terminate('test over').catch(() => undefined)));
  await connection?.close();
});

function newGodId(name: string): string {
  const id = `god-start-race-${name}-${process.pid}-${Date.now()}`;
  godIds.push(id);
  return id;
}

it('of three starts at the same moment exactly one reports started; the others, already running, name the same run', async () => {
  const godId = newGodId('three');
  const options = { godId, taskQueue: `${godId}-queue` };
  const results = await Promise.all([startGod(client, options), startGod(client, options), startGod(client, options)]);

  expect(results.map((r) => r.outcome).sort()).toEqual(['already_running', 'already_running', 'started']);
  const { runId } = await client.workflow.getHandle(godId).describe();
  expect(results.map((r) => r.runId)).toEqual([runId, runId, runId]);
  expect(results.filter((r) => r.outcome === 'already_running').map((r) => r.goalsGiven)).toEqual([0, 0]);
  // A start after the race is a no-op too.
  expect(await startGod(client, options)).toEqual({ outcome: 'already_running', workflowId: godId, runId, goalsGiven: 0 });
});

it('tells its own start by the run\'s first event, with no memo a codec must read (God\'s memo outlived a key rotation and stranded it)', async () => {
  const godId = newGodId('codec');
  const keyed = new Client({ connection, dataConverter: { payloadCodecs: [new AesGcmCodec(parseKeyList(`k1:${randomBytes(32).toString('base64')}`))] } });
  const started = await startGod(keyed, { godId, taskQueue: `${godId}-queue` });
  expect(started.outcome).toBe('started');
  // A client without the key reads God's execution whole: nothing in it needs the key but its payloads.
  const described = await client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: godId, runId: started.runId } });
  expect(Object.keys(described.workflowExecutionInfo?.memo?.fields ?? {})).toEqual([]);
  await expect(startedBy(client, godId, started.runId, client.options.identity)).resolves.toBe(false);
});
