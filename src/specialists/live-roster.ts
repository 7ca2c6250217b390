import type { SpawnedSpecialist } from '../god/types';
import { SpecialistSchema, type Roster, type Specialist } from './roster';

/**
 * The roster a worker routes with: the seed roster (agents/*.yaml) plus the specialists God
 * spawned, fetched from God's `roster` query and cached for `ttlMs`, so a specialist spawned while
 * the worker runs becomes available without a restart. Only live specialists are routable by the
 * rules: a trial one runs only the tasks God sends it by name (experimental lane, reviewed), and a
 * retired one none; `get` finds every one, so a task already routed to one can finish.
 * A failed fetch keeps the last snapshot (logged once until a fetch succeeds again).
 *
 * @example
 *   const roster = createLiveRoster(loadRoster(dir), godRosterFetcher(client, 'pantheon-god'), { ttlMs: 10_000 });
 *   await roster.refresh();
 *   roster.get('LegalAgent');
 */

export interface SpawnedSnapshot {
  version: number;
  specialists: SpawnedSpecialist[];
}

export interface LiveRosterOptions {
  /** How long a fetched snapshot is used before the next refresh fetches again. */
  ttlMs: number;
  now?: () => number;
  /** Told of a failed fetch (once per run of failures) and of spawned entries that do not validate. */
  warn?: (message: string, details: Record<string, unknown>) => void;
}

export interface LiveRoster extends Roster {
  refresh(): Promise<void>;
  /** The version of God's roster data in use (0: none fetched yet, or God is not running). */
  readonly version: number;
}

interface Snapshot {
  version: number;
  routable: Specialist[];
  byName: Map<string, Specialist>;
}

/** A spawned specialist as a roster entry: never the fallback. Undefined if its definition does not validate. */
export function spawnedToSpecialist(spawned: SpawnedSpecialist): Specialist | undefined {
  const parsed = SpecialistSchema.safeParse({ ...spawned.definition, fallback: false });
  return parsed.success ? parsed.data : undefined;
}

export function createLiveRoster(seed: Roster, fetchSpawned: () => Promise<SpawnedSnapshot>, options: LiveRosterOptions): LiveRoster {
  const now = options.now ?? Date.now;
  const warn = options.warn ?? (() => undefined);
  const seedNames = new Set(seed.specialists.map((s) => s.name));
  let snapshot: Snapshot = { version: 0, routable: [...seed.specialists], byName: new Map(seed.specialists.map((s) => [s.name, s])) };
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let failing = false;
  let inFlight: Promise<void> | undefined;

  const build = (data: SpawnedSnapshot): Snapshot => {
    const byName = new Map(seed.specialists.map((s) => [s.name, s]));
    const routable = [...seed.specialists];
    // Newest version last, so it wins when God kept more than one of a name.
    const spawned = [...data.specialists].sort((a, b) => a.version - b.version);
    for (const entry of spawned) {
      // Roster data never replaces a seed specialist (or the fallback): the files are the operator's.
      if (seedNames.has(entry.name) || entry.name !== entry.definition?.name) continue;
      const specialist = spawnedToSpecialist(entry);
      if (!specialist) {
        warn('a spawned specialist in God\'s roster does not validate; ignored', { name: entry.name, version: entry.version });
        continue;
      }
      byName.set(specialist.name, specialist);
      const at = routable.findIndex((s) => s.name === specialist.name);
      if (at >= 0) routable.splice(at, 1);
      if (entry.status === 'live') routable.push(specialist);
    }
    return { version: data.version, routable, byName };
  };

  const fetchNow = async () => {
    try {
      snapshot = build(await fetchSpawned());
      if (failing) warn('God\'s roster is readable again', { version: snapshot.version });
      failing = false;
    } catch (err) {
      if (!failing) warn('could not read God\'s roster; keeping the last one', { error: String(err), version: snapshot.version });
      failing = true;
    }
    // A failure waits out the ttl too: an unreachable God must not cost every activity a round trip.
    fetchedAt = now();
  };

  return {
    get specialists() {
      return snapshot.routable;
    },
    get fallback() {
      return seed.fallback;
    },
    get version() {
      return snapshot.version;
    },
    get: (name) => snapshot.byName.get(name),
    refresh() {
      if (now() - fetchedAt < options.ttlMs) return Promise.resolve();
      // Concurrent activities share one fetch.
      inFlight ??= fetchNow().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}
