import { defaultLimits, type Limits } from '../../src/budget/limits';
import { changedSinceRead } from '../../src/budget/limits-patch';
import { PantheonError } from '../../src/errors';
import { applyLimitsOver, LIMITS_APPLY_TRIES } from '../../src/client/limits-apply';

/** A ledger's limits as the setLimits update treats them, with someone else changing them on cue. */
function ledgerWith(limits: Limits) {
  const ledger = {
    limits,
    applied: 0,
    sent: 0,
    /** Called after each read: another operator's change, if any. */
    meanwhile: () => undefined as void,
    async read() {
      const read = ledger.limits;
      ledger.meanwhile();
      return read;
    },
    async apply(next: Limits, ifLimits: Limits) {
      ledger.sent += 1;
      const changed = changedSinceRead(ifLimits, ledger.limits);
      if (changed) throw PantheonError.of('limits_changed', `changed: ${changed}`);
      ledger.limits = next;
      ledger.applied += 1;
    },
  };
  return ledger;
}

const dayAt = (usd: number) => (base: Limits): Limits => ({ ...base, systemDailyUsd: usd });

describe('applying a limits file over the ledger\'s limits (compare-and-set)', () => {
  it('names the keys changed since the read, and nothing when they still stand', () => {
    const read = defaultLimits();
    expect(changedSinceRead(read, { ...read })).toBeUndefined();
    expect(changedSinceRead(read, { ...read, systemHourlyUsd: 9, circuitBreaker: { ...read.circuitBreaker, maxSpawnDepth: 2 } })).toBe(
      `system_hourly_usd: ${read.systemHourlyUsd} → 9, circuit_breaker.max_spawn_depth: ${read.circuitBreaker.maxSpawnDepth} → 2`,
    );
  });

  it('sends nothing when the file changes nothing', async () => {
    const ledger = ledgerWith(defaultLimits());
    const outcome = await applyLimitsOver({ read: ledger.read, lay: dayAt(ledger.limits.systemDailyUsd), apply: ledger.apply });
    expect(outcome.applied).toBe(false);
    expect(ledger.sent).toBe(0);
  });

  it('gives up with limits_changed after its tries when the limits keep changing, applying nothing', async () => {
    const ledger = ledgerWith(defaultLimits());
    ledger.meanwhile = () => {
      ledger.limits = { ...ledger.limits, perTaskUsd: ledger.limits.perTaskUsd + 1 };
    };
    await expect(applyLimitsOver({ read: ledger.read, lay: dayAt(3), apply: ledger.apply })).rejects.toMatchObject({ type: 'limits_changed' });
    expect(ledger.sent).toBe(LIMITS_APPLY_TRIES);
    expect(ledger.applied).toBe(0);
  });

  it('does not try again on any other refusal', async () => {
    const ledger = ledgerWith(defaultLimits());
    const apply = async () => {
      ledger.sent += 1;
      throw PantheonError.of('invalid_input', 'the budget ledger refused setLimits: invalid input at limits.timezone');
    };
    await expect(applyLimitsOver({ read: ledger.read, lay: dayAt(3), apply })).rejects.toMatchObject({ type: 'invalid_input' });
    expect(ledger.sent).toBe(1);
  });
});
