import { Client, Connection } from '@temporalio/client';
import { godConstraintBook } from '../../src/workers/god-constraints';
import { testAddress } from '../support/harness';

/**
 * The validate activity's reader of God's standing constraints, against the suite's real server:
 * a burst of activities asks the server once, and the cache lasts its TTL.
 */
describe('God constraint book', () => {
  let connection: Connection;
  let client: Client;
  let reads: number;

  beforeAll(async () => {
    connection = await Connection.connect({ address: testAddress() });
    client = new Client({ connection });
  });
  afterAll(async () => {
    await connection.close();
  });
  beforeEach(() => {
    // Every read starts with describe() on a handle: counting handles counts reads (the real
    // client underneath answers every one).
    reads = 0;
    const getHandle = client.workflow.getHandle.bind(client.workflow);
    jest.spyOn(client.workflow, 'getHandle').mockImplementation((...args: Parameters<typeof getHandle>) => {
      reads++;
      return getHandle(...args);
    });
  });
  afterEach(() => jest.restoreAllMocks());

  it('lets a burst of activities share one read of a God that was never started (none: no constraints)', async () => {
    const book = godConstraintBook(client, `god-never-started-${Date.now()}`);
    const lists = await Promise.all(Array.from({ length: 20 }, () => book.active()));
    expect(lists.every((l) => Array.isArray(l) && l.length === 0)).toBe(true);
    expect(reads).toBe(1);
  });

  it('answers from its cache within the TTL and reads again after it', async () => {
    let clock = 1_000;
    const book = godConstraintBook(client, `god-never-started-ttl-${Date.now()}`, { ttlMs: 2_000, now: () => clock });
    await book.active();
    clock += 1_999;
    await Promise.all([book.active(), book.active()]);
    expect(reads).toBe(1);
    clock += 2;
    await Promise.all([book.active(), book.active(), book.active()]);
    expect(reads).toBe(2);
  });
});
