import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { createServer } from 'node:net';
import { Client, Connection, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { connectClient } from '../../src/client/connection';
import { loadConfig } from '../../src/config/env';
import { watchGod } from '../../src/demo/god-progress';
import { godDecisionsQuery } from '../../src/workflows/god-api';
import { testAddress } from '../support/harness';

/**
 * The demo's watch of God when Ctrl-C comes (npm start). A retry the SDK had scheduled fired after
 * npm start closed the connection and threw "Channel has been shut down" out of its timer, so npm
 * start exited 1 with that stack instead of "stopped.". A cancel does not stop a scheduled retry,
 * so the watch's client has no SDK retries (it asks again itself), and Ctrl-C cancels its call
 * under way: a query to a God whose worker drains would otherwise hold npm start for half a minute.
 */

/** Counts the calls that started and the ones under way (outermost: it sees each call whole). */
class Calls {
  underWay = 0;
  started = 0;
  readonly interceptor: Interceptor = (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start: (metadata, _listener, next) => {
        this.underWay++;
        this.started++;
        next(metadata, {
          onReceiveStatus: (status, nextStatus) => {
            this.underWay--;
            nextStatus(status);
          },
        });
      },
    });
}

/** A port nothing listens on: a call there fails with UNAVAILABLE, as while the server restarts. */
async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

async function until(what: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 30_000; !what(); ) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const watched = [{ slug: 'one', taskId: `watch-stop-task-${process.pid}` }];
let control: Awaited<ReturnType<typeof connectClient>>;
let unserved: WorkflowHandle;
let alsoUnserved: WorkflowHandle;
let refusing: WorkflowHandle;

beforeAll(async () => {
  control = await connectClient(loadConfig({ TEMPORAL_ADDRESS: testAddress() }));
  // "Gods" no worker serves: the server holds a query to one for half a minute (one at a time: it
  // refuses a second query to the same workflow while the first waits).
  const taskQueue = `nobody-polls-${process.pid}`;
  unserved = await control.client.workflow.start('god', { taskQueue, workflowId: `watch-stop-${process.pid}-${Date.now()}` });
  alsoUnserved = await control.client.workflow.start('god', { taskQueue, workflowId: `watch-stop-also-${process.pid}-${Date.now()}` });
  refusing = await control.client.workflow.start('god', { taskQueue, workflowId: `watch-stop-refusing-${process.pid}-${Date.now()}` });
});

afterAll(async () => {
  await unserved?.terminate('test over').catch(() => undefined);
  await alsoUnserved?.terminate('test over').catch(() => undefined);
  await refusing?.terminate('test over').catch(() => undefined);
  await control?.close();
});

/**
 * Asks God `heldOn` a query the server holds, then, half a second later, starts a watch of
 * `watchedGod` and stops it 300 ms in. Says whether the held query had ended by the time the
 * watch settled (the held one is cancelled afterwards).
 */
async function heldEndedBeforeTheStoppedWatchSettled(heldOn: string, watchedGod: string): Promise<boolean> {
  const config = loadConfig({ TEMPORAL_ADDRESS: testAddress() });
  const asker = await connectClient(config, { sdkRetries: false, traced: false });
  const watcher = await connectClient(config, { sdkRetries: false, traced: false });
  const done = new AbortController();
  let heldEnded = false;
  const held = asker.connection.withAbortSignal(done.signal, () => asker.client.workflow.getHandle(heldOn).query(godDecisionsQuery)).then(
    () => (heldEnded = true),
    () => (heldEnded = true),
  );
  try {
    await new Promise((r) => setTimeout(r, 500));
    const stopping = new AbortController();
    const watch = watchGod(watcher.client, watchedGod, watched, 0, { signal: stopping.signal });
    await new Promise((r) => setTimeout(r, 300));
    stopping.abort();
    await expect(watch.outcome).resolves.toBeUndefined();
    await watch.settled;
    return heldEnded;
  } finally {
    done.abort();
    await held;
    await watcher.close();
    await asker.close();
  }
}

it('stopped while its query waits on a God no worker serves, the watch cancels that query instead of waiting it out', async () => {
  // The same query to another such God, asked first: waited out, the watch's query would have
  // ended after that one.
  expect(await heldEndedBeforeTheStoppedWatchSettled(alsoUnserved.workflowId, unserved.workflowId)).toBe(false);
}, 90_000);

it('stopped while the server refuses its query for now (which the SDK would retry from a timer), the watch settles at once', async () => {
  // A query to the same God, asked first and held: the server answers the watch's with
  // RESOURCE_EXHAUSTED ("query buffer is full") until that one ends. With the SDK's retries the
  // refused query would still be retried until then.
  expect(await heldEndedBeforeTheStoppedWatchSettled(refusing.workflowId, refusing.workflowId)).toBe(false);
}, 90_000);

it('a God query that fails with UNAVAILABLE is asked again on the next poll; stopped then, the watch leaves no call under way', async () => {
  const calls = new Calls();
  const lost = Connection.lazy({ address: await deadAddress(), interceptors: [calls.interceptor] });
  try {
    const stopping = new AbortController();
    const watch = watchGod(new Client({ connection: lost }), 'god', watched, 0, { pollMs: 50, signal: stopping.signal });
    let outcome = 'pending';
    void watch.outcome.then(
      () => (outcome = 'resolved'),
      () => (outcome = 'rejected'),
    );
    await until(() => calls.started >= 3);
    expect(outcome).toBe('pending');
    stopping.abort();
    await expect(watch.outcome).resolves.toBeUndefined();
    await watch.settled;
    expect(calls.underWay).toBe(0);
  } finally {
    await lost.close();
  }
});

it('a God query that keeps failing with UNAVAILABLE ends the watch with that error once the retry time is up', async () => {
  const lost = Connection.lazy({ address: await deadAddress(), interceptors: [] });
  try {
    const watch = watchGod(new Client({ connection: lost }), 'god', watched, 0, { pollMs: 50, retryForMs: 500 });
    await expect(watch.outcome).rejects.toThrow(/query/i);
  } finally {
    await lost.close();
  }
});

it('a God that does not exist ends the watch at once with the not-found error, not after the retry time', async () => {
  const watcher = await connectClient(loadConfig({ TEMPORAL_ADDRESS: testAddress() }), { sdkRetries: false, traced: false });
  try {
    const watch = watchGod(watcher.client, `no-such-god-${process.pid}`, watched, 0, { pollMs: 50, retryForMs: 600_000 });
    await expect(watch.outcome).rejects.toBeInstanceOf(WorkflowNotFoundError);
  } finally {
    await watcher.close();
  }
});
