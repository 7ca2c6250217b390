import { Batcher, Slots } from '../../src/budget/batcher';

/** A send function whose calls the test completes by hand. */
function manualSend() {
  const calls: Array<{ inputs: number[]; done: (ok: boolean) => void }> = [];
  const send = (inputs: number[]) =>
    new Promise<string[]>((resolve, reject) => calls.push({ inputs, done: (ok) => (ok ? resolve(inputs.map((i) => `r${i}`)) : reject(new Error('ledger down'))) }));
  return { calls, send };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('batcher', () => {
  it('keeps at most the slots in flight and sends what queued meanwhile as one batch, answering in order', async () => {
    const { calls, send } = manualSend();
    const batcher = new Batcher(send, new Slots(2), 3);
    const answers = [1, 2, 3, 4, 5, 6, 7].map((i) => batcher.submit(i));
    expect(calls.map((c) => c.inputs)).toEqual([[1], [2]]);
    calls[0].done(true);
    await tick();
    expect(calls.map((c) => c.inputs)).toEqual([[1], [2], [3, 4, 5]]);
    calls[1].done(true);
    await tick();
    expect(calls.map((c) => c.inputs)).toEqual([[1], [2], [3, 4, 5], [6, 7]]);
    calls[2].done(true);
    calls[3].done(true);
    expect(await Promise.all(answers)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
    expect(batcher.sent).toBe(4);
  });

  it('fails every request of a failed batch, and carries on with the next', async () => {
    const { calls, send } = manualSend();
    const batcher = new Batcher(send, new Slots(1), 10);
    const first = batcher.submit(1);
    const [second, third] = [batcher.submit(2), batcher.submit(3)];
    calls[0].done(true);
    await tick();
    calls[1].done(false);
    await expect(first).resolves.toBe('r1');
    await expect(second).rejects.toThrow('ledger down');
    await expect(third).rejects.toThrow('ledger down');
    const fourth = batcher.submit(4);
    calls[2].done(true);
    await expect(fourth).resolves.toBe('r4');
  });

  it('shares slots between batchers, serving the first registered first', async () => {
    const settles = manualSend();
    const reserves = manualSend();
    const slots = new Slots(1);
    const settler = new Batcher(settles.send, slots, 10);
    const reserver = new Batcher(reserves.send, slots, 10);
    void reserver.submit(1);
    void reserver.submit(2);
    void settler.submit(100);
    expect(reserves.calls).toHaveLength(1);
    expect(settles.calls).toHaveLength(0);
    reserves.calls[0].done(true);
    await tick();
    expect(settles.calls.map((c) => c.inputs)).toEqual([[100]]);
    expect(reserves.calls).toHaveLength(1);
  });

  it('lets batchers take turns at one slot, so one that always has work queued starves no other', async () => {
    const busy = manualSend();
    const other = manualSend();
    const slots = new Slots(1);
    const busyBatcher = new Batcher(busy.send, slots, 10);
    const otherBatcher = new Batcher(other.send, slots, 10);
    void busyBatcher.submit(1);
    void busyBatcher.submit(2);
    void otherBatcher.submit(100);
    // The first batcher registered gets the first freed slot...
    busy.calls[0].done(true);
    await tick();
    expect(busy.calls.map((c) => c.inputs)).toEqual([[1], [2]]);
    expect(other.calls).toHaveLength(0);
    // ...and though it has work queued again when the slot frees, the other batcher's turn comes.
    void busyBatcher.submit(3);
    busy.calls[1].done(true);
    await tick();
    expect(other.calls.map((c) => c.inputs)).toEqual([[100]]);
    expect(busy.calls).toHaveLength(2);
    other.calls[0].done(true);
    await tick();
    expect(busy.calls.map((c) => c.inputs)).toEqual([[1], [2], [3]]);
  });
});
