import { defaultGodConfig } from './messages';
import { statsKey } from './stats';
import type { GodConfig, GodState, SpawnedSpecialist } from './types';

/**
 * The lifecycle of specialists God spawns, as roster data: the caps on creating them, versions on
 * a name collision, trial → live, and retirement when one does worse than the fallback. Every
 * change to the list bumps `rosterVersion`, so workers refresh their roster. Pure.
 *
 * Lifecycle: `trial` on registration (experimental lane; its first `spawnTrialRuns` runs go to
 * human review) → `live` once it has `spawnTrialRuns` successful runs → `retired` when, after
 * `spawnTrialRuns + 2` runs, its success rate is below the fallback's for its kind (or below 50 %
 * when the fallback has no runs of that kind), or when a new version of its name replaces it.
 */

type SpawnConfig = Pick<GodConfig, 'maxLiveSpawned' | 'maxSpawnsPerDay'>;

/** Whether another specialist may be spawned, given how many are live or on trial and how many were created today. */
export function spawnRoom(active: number, createdToday: number, config: SpawnConfig): { ok: boolean; reason: string } {
  if (active >= config.maxLiveSpawned) return { ok: false, reason: `${active} of at most ${config.maxLiveSpawned} spawned specialists are live or on trial` };
  if (createdToday >= config.maxSpawnsPerDay) return { ok: false, reason: `${createdToday} of at most ${config.maxSpawnsPerDay} spawned today` };
  return { ok: true, reason: `${active} of ${config.maxLiveSpawned} live or on trial, ${createdToday} of ${config.maxSpawnsPerDay} spawned today` };
}

/** The caps: at most `maxLiveSpawned` live or on trial, at most `maxSpawnsPerDay` created since `dayStartMs`. */
export function canSpawn(specialists: readonly SpawnedSpecialist[], args: { nowMs: number; dayStartMs: number; config: SpawnConfig }): { ok: boolean; reason: string } {
  const active = specialists.filter((s) => s.status !== 'retired').length;
  const today = specialists.filter((s) => s.createdAtMs >= args.dayStartMs && s.createdAtMs <= args.nowMs).length;
  return spawnRoom(active, today, args.config);
}

/**
 * Adds a validated definition as a trial specialist for `kind`, at the end of the list. A name
 * already used gets the next version, and an earlier version still active is retired (one active
 * definition per name, so workers never see two).
 */
export function registerSpawned(state: GodState, definition: SpawnedSpecialist['definition'], kind: string, nowMs: number): GodState {
  const same = state.specialists.filter((s) => s.name === definition.name);
  const version = same.reduce((v, s) => Math.max(v, s.version), 0) + 1;
  const specialists = state.specialists.map((s) =>
    s.name === definition.name && s.status !== 'retired' ? { ...s, status: 'retired' as const, retiredReason: `replaced by version ${version}`, retiredAtMs: nowMs } : s,
  );
  specialists.push({ name: definition.name, version, status: 'trial', definition: { ...definition }, kind, createdAtMs: nowMs, runs: 0, successes: 0 });
  return { ...state, specialists, rosterVersion: state.rosterVersion + 1 };
}

/**
 * Counts a finished run of the active specialist named `name` (a retired one's late results are
 * ignored). A trial specialist goes live with its `spawnTrialRuns`-th success; that promotion is
 * recorded in `recent` and bumps the roster version. Run counts alone do not bump it.
 */
export function recordSpawnedRun(state: GodState, name: string, success: boolean, config: Pick<GodConfig, 'spawnTrialRuns'> = defaultGodConfig(), nowMs?: number): GodState {
  const index = findActive(state.specialists, name);
  if (index < 0) return state;
  const before = state.specialists[index];
  const after: SpawnedSpecialist = { ...before, runs: before.runs + 1, successes: before.successes + (success ? 1 : 0) };
  const promoted = after.status === 'trial' && after.successes >= config.spawnTrialRuns;
  if (promoted) after.status = 'live';
  const specialists = state.specialists.slice();
  specialists[index] = after;
  if (!promoted) return { ...state, specialists };
  return {
    ...state,
    specialists,
    rosterVersion: state.rosterVersion + 1,
    recent: [
      ...state.recent,
      { atMs: nowMs ?? after.createdAtMs, kind: 'spawned', detail: `${name} v${after.version} is live: ${after.successes} of ${after.runs} trial runs succeeded` },
    ],
  };
}

function findActive(specialists: readonly SpawnedSpecialist[], name: string): number {
  for (let i = specialists.length - 1; i >= 0; i--) if (specialists[i].name === name && specialists[i].status !== 'retired') return i;
  return -1;
}

/** The success rate a spawned specialist must beat, and whose it is. */
function baseline(state: GodState, kind: string, fallbackName: string | undefined): { rate: number; who: string } {
  const spawnedNames = new Set(state.specialists.map((s) => s.name));
  let name = fallbackName;
  if (name === undefined) {
    // The fallback is whoever took this kind's fallbacks (recordFallback names it).
    let most = 0;
    for (const [key, s] of Object.entries(state.stats)) {
      const [k, who] = [key.slice(0, key.indexOf('|')), key.slice(key.indexOf('|') + 1)];
      if (k === kind && !spawnedNames.has(who) && s.fallbacks > most) [most, name] = [s.fallbacks, who];
    }
  }
  const s = name === undefined ? undefined : state.stats[statsKey(kind, name)];
  if (!s || s.runs === 0) return { rate: 0.5, who: name ? `50 % (the fallback ${name} has no runs of this kind)` : '50 % (no fallback runs of this kind)' };
  const rate = s.successes / s.runs;
  return { rate, who: `the fallback ${name}'s ${pct(rate)} (${s.successes}/${s.runs})` };
}

function pct(rate: number): string {
  return `${Math.round(rate * 100)} %`;
}

/**
 * Spawned specialists to retire now: each active one with at least `spawnTrialRuns + 2` runs whose
 * success rate is below the fallback specialist's for its kind. `fallbackName` names the roster's
 * fallback; without it, the specialist that took the kind's recorded fallbacks is used.
 */
export function retirements(state: GodState, config: Pick<GodConfig, 'spawnTrialRuns'>, fallbackName?: string): Array<{ name: string; reason: string }> {
  const out: Array<{ name: string; reason: string }> = [];
  for (const s of state.specialists) {
    if (s.status === 'retired' || s.runs < config.spawnTrialRuns + 2) continue;
    const rate = s.successes / s.runs;
    const base = baseline(state, s.kind, fallbackName);
    if (rate < base.rate) out.push({ name: s.name, reason: `success ${pct(rate)} (${s.successes}/${s.runs}) is below ${base.who} for kind "${s.kind}"` });
  }
  return out;
}

/** Retires the active specialist named `name`, with its reason and time. */
export function retireSpecialist(state: GodState, name: string, reason: string, nowMs: number): GodState {
  const index = findActive(state.specialists, name);
  if (index < 0) return state;
  const specialists = state.specialists.slice();
  specialists[index] = { ...specialists[index], status: 'retired', retiredReason: reason, retiredAtMs: nowMs };
  return { ...state, specialists, rosterVersion: state.rosterVersion + 1 };
}
