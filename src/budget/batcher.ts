/**
 * Coalesces concurrent requests into batches, sharing a fixed number of in-flight slots.
 *
 * Why: Temporal admits only a few in-flight updates per workflow (server setting
 * history.maxInFlightUpdates, 10 by default; more are refused with RESOURCE_EXHAUSTED and the
 * client backs off for a second or more). One ledger serves every worker, so each process keeps
 * few updates in flight (one by default: LEDGER_UPDATES_IN_FLIGHT in gate.ts) and sends whatever
 * queued meanwhile as one update. Unloaded, every batch holds one request and costs nothing extra.
 */

/** In-flight updates one process may have; shared by its batchers. */
export class Slots {
  private readonly waiting: Array<() => void> = [];
  /** Which batcher is offered the next freed slot first: they take turns, so a batcher whose queue
   * is never empty under load cannot starve the others (with one slot it would otherwise win every time). */
  private turn = 0;

  constructor(private free: number) {}

  take(): boolean {
    if (this.free === 0) return false;
    this.free--;
    return true;
  }

  give(): void {
    this.free++;
    const n = this.waiting.length;
    if (n === 0) return;
    const first = this.turn;
    this.turn = (this.turn + 1) % n;
    for (let i = 0; i < n; i++) this.waiting[(first + i) % n]();
  }

  /** The first freed slot is offered to the batcher registered first; after that they take turns. */
  onFree(pump: () => void): void {
    this.waiting.push(pump);
  }
}

export class Batcher<I, R> {
  private readonly queue: Array<{ input: I; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  /** Batches sent so far (each one ledger update). */
  sent = 0;

  constructor(
    private readonly send: (inputs: I[]) => Promise<R[]>,
    private readonly slots: Slots,
    private readonly maxBatch: number,
  ) {
    slots.onFree(() => this.pump());
  }

  submit(input: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && this.slots.take()) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.sent++;
      this.send(batch.map((b) => b.input))
        .then(
          (results) => batch.forEach((b, i) => b.resolve(results[i])),
          (err) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => this.slots.give());
    }
  }
}

interface Queued<I, R> {
  input: I;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/**
 * Two kinds of request in one update: `first` (settles and releases) and `second` (reserves),
 * applied by the ledger in that order. Whenever a slot is free, everything queued of both kinds
 * (up to `maxBatch` each) goes out together, so a settle nobody waits for rides on the next
 * reserve instead of taking an update, and a slot, of its own.
 *
 * A first submitted to linger (a settle nobody waits for) waits up to `lingerMs` for a second to
 * ride with, unless something flushes it sooner: under load a worker's next reserve or lease
 * booking comes within tens of milliseconds, so most settles cost no update of their own. A
 * queue holding any first that may not linger goes out as before.
 */
export class PairBatcher<A, RA, B, RB> {
  private readonly firsts: Array<Queued<A, RA> & { linger: boolean }> = [];
  private readonly seconds: Array<Queued<B, RB>> = [];
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  /** The update sent last, until it is answered or fails. */
  private latest: Promise<void> | undefined;
  /** Batches sent so far (each one ledger update). */
  sent = 0;

  constructor(
    private readonly send: (first: A[], second: B[]) => Promise<{ first: RA[]; second: RB[] }>,
    private readonly slots: Slots,
    private readonly maxBatch: number,
    private readonly lingerMs = 0,
  ) {
    slots.onFree(() => this.pump());
  }

  submitFirst(input: A, linger = false): Promise<RA> {
    return new Promise<RA>((resolve, reject) => {
      this.firsts.push({ input, resolve, reject, linger: linger && this.lingerMs > 0 });
      this.pump();
    });
  }

  /** Sends lingering firsts now (a caller is about to wait for them). */
  flush(): void {
    this.stopLinger();
    for (const first of this.firsts) first.linger = false;
    this.pump();
  }

  private stopLinger(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
  }

  /** Whether what is queued is only firsts that may still wait for a second. */
  private lingering(): boolean {
    if (this.seconds.length > 0 || !this.firsts.every((f) => f.linger)) return false;
    this.lingerTimer ??= setTimeout(() => {
      this.lingerTimer = undefined;
      this.flush();
    }, this.lingerMs);
    return true;
  }

  /** Settles once the update sent last is answered (or has failed); undefined when none is in flight. */
  answerInFlight(): Promise<void> | undefined {
    return this.latest;
  }

  submitSecond(input: B): Promise<RB> {
    return new Promise<RB>((resolve, reject) => {
      this.seconds.push({ input, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while ((this.firsts.length > 0 || this.seconds.length > 0) && !this.lingering() && this.slots.take()) {
      if (this.firsts.length <= this.maxBatch) this.stopLinger();
      const firsts = this.firsts.splice(0, this.maxBatch);
      const seconds = this.seconds.splice(0, this.maxBatch);
      this.sent++;
      const answered: Promise<void> = this.send(
        firsts.map((q) => q.input),
        seconds.map((q) => q.input),
      )
        .then(
          (results) => {
            firsts.forEach((q, i) => q.resolve(results.first[i]));
            seconds.forEach((q, i) => q.resolve(results.second[i]));
          },
          (err) => [...firsts, ...seconds].forEach((q) => q.reject(err)),
        )
        .finally(() => {
          if (this.latest === answered) this.latest = undefined;
          this.slots.give();
        });
      this.latest = answered;
    }
  }
}
