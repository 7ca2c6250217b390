import type { WorkflowHandle } from '@temporalio/client';
import type { Limits } from '../../src/budget/limits';
import { reserveUpdate, settleUpdate } from '../../src/budget/ledger-defs';
import type { GoalInput } from '../../src/god/messages';
import type { GodConfig } from '../../src/god/types';
import { pauseUpdate, type GodStatusView } from '../../src/workflows/god-api';
import { startTestGod } from './god';
import { godLife, RunChain, type GodLife } from './god-runs';
import { NO_GOD_QUERIES, OrphanedChildLocks, ServerClock, StalledSkips, startTimeSkippingHarness, type TimeSkippingHarness } from './time-skipping';

const DAY = 24 * 3_600_000;

/**
 * A God of its own on the time-skipping test server, for one test file: the harness (real workers,
 * the offline provider, a ledger of its own; no roster or constraint queries to God, see
 * NO_GOD_QUERIES), the server's clock, and God's chain of runs watched for the test server's
 * orphaned child locks. Constructed at the top of a file, it registers the file's beforeAll and
 * afterAll.
 *
 * @example
 *   const s = new GodOnTestServer('god-stuck', limitsWith({ systemDailyUsd: 0.06 }));
 *   it('…', async () => {
 *     const day = await s.nextDayAt(5 * MIN);
 *     await s.startGod({ goals, config: { tickSeconds: 1200 } });
 *     await s.clock.skipTo(day + HOUR);
 *     const life = await s.finish();
 *   });
 */
export class GodOnTestServer {
  readonly godId: string;
  h!: TimeSkippingHarness;
  clock!: ServerClock;
  god!: WorkflowHandle;
  private chain?: RunChain;
  private orphans?: OrphanedChildLocks;
  private firstRunId = '';

  constructor(name: string, limits: Limits) {
    this.godId = `${name}-${process.pid}-${Date.now()}`;
    beforeAll(async () => {
      this.h = await startTimeSkippingHarness(name, { godId: this.godId, limits, ...NO_GOD_QUERIES });
      this.clock = new ServerClock(this.h, new StalledSkips(this.h));
    }, 120_000);
    afterAll(async () => {
      // A test that failed before finish() leaves the watch running: its next pass would call a
      // torn-down server ("Channel has been shut down") and keep jest from exiting.
      await this.orphans?.stop().catch(() => undefined);
      await this.god?.terminate('test over').catch(() => undefined);
      await this.h?.stop();
    });
  }

  /** Skips to `offsetMs` into the next UTC day (the ledger's windows are UTC days); returns that day's start. */
  async nextDayAt(offsetMs: number): Promise<number> {
    const day = Math.floor((await this.clock.sample()) / DAY) * DAY + DAY;
    await this.clock.skipTo(day + offsetMs);
    return day;
  }

  /** Someone else's spend today on a lane, through the ledger itself: settled, so it is what is gone. */
  async spendElsewhere(usd: number, lane: 'main' | 'experimental'): Promise<void> {
    const ledger = this.h.client.workflow.getHandle(this.h.gate.ledgerId);
    const grant = await ledger.executeUpdate(reserveUpdate, { args: [{ key: `elsewhere-${lane}`, taskId: `elsewhere-${lane}`, agent: 'Generalist', usd, tokens: 1000, lane }] });
    if (!grant.granted) throw new Error(`the ledger refused the test's own spend: ${JSON.stringify(grant)}`);
    await ledger.executeUpdate(settleUpdate, { args: [{ reservationId: grant.reservationId, usd, tokens: 1000 }] });
  }

  /** Starts God with these goals and settings on the harness's queue, and watches its runs. */
  async startGod(options: { goals?: GoalInput[]; config: Partial<GodConfig> }): Promise<WorkflowHandle> {
    this.god = await startTestGod(this.h.client, { id: this.godId, taskQueue: this.h.taskQueue, ...options });
    this.firstRunId = (await this.god.describe()).runId; // no run has ended yet: this is the first
    this.chain = new RunChain(this.h.client, this.godId, this.firstRunId);
    this.orphans = new OrphanedChildLocks(this.h, this.chain);
    this.orphans.start();
    return this.god;
  }

  /** Every run God has had so far, and what they started and heard. */
  life(): Promise<GodLife> {
    return godLife(this.h.client, this.godId, this.firstRunId, this.chain);
  }

  /** Stops watching for orphaned child locks (after the last skip). */
  stopWatching(): Promise<void> {
    return this.orphans?.stop() ?? Promise.resolve();
  }

  /** Pauses God (nothing more is generated or admitted), stops watching, and reads its runs. */
  async finish(reason = 'the test is over'): Promise<GodLife> {
    await this.god.executeUpdate<GodStatusView, [{ reason: string }]>(pauseUpdate.name, { args: [{ reason }] });
    await this.stopWatching();
    return this.life();
  }
}
