/**
 * PANTHEON_ variables Pantheon reads outside Env (./env.ts), which validates the rest. With Env's
 * names they make up every name Pantheon knows (KNOWN_VARIABLES in ./env.ts); any other
 * PANTHEON_ variable is a misspelling or a leftover, and was silently ignored.
 * test/unit/unknown-variables.test.ts fails for a name read anywhere in the tree that neither holds.
 */
export const VARIABLES_BEYOND_ENV = [
  'PANTHEON_LIMITS_FILE', // src/budget/load-limits.ts
  'PANTHEON_DEBUG', // src/client/exit.ts: a failed command prints its stack
  // The offline provider (src/llm/offline/): `npm run provider`, or the one a worker starts.
  'PANTHEON_OFFLINE_HOST',
  'PANTHEON_OFFLINE_PORT',
  'PANTHEON_OFFLINE_JITTER_MS',
  'PANTHEON_OFFLINE_SEED',
  'PANTHEON_OFFLINE_FAULTS',
  'PANTHEON_OFFLINE_SCENARIO',
  // The test suite (test/setup, test/support, test/integration): its processes run Pantheon's.
  'PANTHEON_TEST_TEMPORAL_ADDRESS',
  'PANTHEON_TEST_BUNDLE',
  'PANTHEON_TEST_DIR',
  'PANTHEON_TEST_CLI',
  'PANTHEON_TEST_LOG',
  'PANTHEON_RECORD_HISTORIES',
  'PANTHEON_TRACE_GOD_DAYS',
] as const;

/**
 * Misspelling these is refused, not ignored: without the keys task payloads are stored in
 * Temporal unencrypted, for good, and a warning in a worker's log is easily missed.
 */
export const GUARDED_VARIABLES: readonly string[] = ['PANTHEON_CODEC_KEYS', 'PANTHEON_CODEC_KEY_FILE'];

/** How many edits a misspelling may be from the name it means. */
const MAX_EDITS = 2;

/**
 * Edits from `a` to `b`: a letter inserted, deleted or replaced, or two neighbours swapped
 * (MDOE for MODE is one edit).
 */
export function editDistance(a: string, b: string): number {
  // d[i][j]: edits from a's first i letters to b's first j.
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const same = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + same);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** A name less its first word (the PANTHEON_ every known name shares). */
const tail = (name: string) => name.slice(name.indexOf('_') + 1);

/** Whether one name's words begin or end the other's (LLM_TIMEOUT in LLM_TIMEOUT_MS, KEYS in CODEC_KEYS). */
function wordsOverlap(a: string, b: string): boolean {
  const [x, y] = [tail(a), tail(b)];
  return y.startsWith(`${x}_`) || x.startsWith(`${y}_`) || y.endsWith(`_${x}`) || x.endsWith(`_${y}`);
}

/**
 * The known name `name` most likely means, case aside: the nearest within two edits, else the one
 * known name whose words begin or end it or that it begins or ends; undefined when none is close
 * (or the words match several).
 *
 * @example nearestName('LLM_MDOE', ['LLM_MODE', 'GOD_ID']) // 'LLM_MODE'
 * @example nearestName('X_LLM_TIMEOUT', ['X_LLM_TIMEOUT_MS']) // 'X_LLM_TIMEOUT_MS'
 */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const upper = name.toUpperCase();
  let best: { name: string; edits: number } | undefined;
  for (const candidate of known) {
    const edits = editDistance(upper, candidate.toUpperCase());
    // Fewer edits than half the name: two edits make any short name another (`--xy` is not `--id`).
    if (edits <= MAX_EDITS && edits * 2 < candidate.length && (!best || edits < best.edits)) best = { name: candidate, edits };
  }
  if (best) return best.name;
  const overlapping = known.filter((candidate) => wordsOverlap(upper, candidate.toUpperCase()));
  return overlapping.length === 1 ? overlapping[0] : undefined;
}

/** A PANTHEON_ variable in the environment that Pantheon does not read. */
export interface UnknownVariable {
  name: string;
  /** The known name it most likely misspells. */
  nearest?: string;
  /** It looks like a misspelt GUARDED_VARIABLES name: the process must not go on. */
  refused: boolean;
}

/** The environment's PANTHEON_ variables not in `known`, in name order. Only names are read, never values. */
export function unknownVariables(env: NodeJS.ProcessEnv, known: readonly string[]): UnknownVariable[] {
  const knownSet = new Set(known);
  return Object.keys(env)
    .filter((name) => name.startsWith('PANTHEON_') && env[name] !== undefined && !knownSet.has(name))
    .sort()
    .map((name) => {
      const nearest = nearestName(name, known);
      return { name, nearest, refused: nearest !== undefined && GUARDED_VARIABLES.includes(nearest) };
    });
}

/** "NAME is not a Pantheon setting (did you mean NEAREST?)": how a warning or a refusal begins. */
export function notASetting({ name, nearest }: UnknownVariable): string {
  return `${name} is not a Pantheon setting${nearest ? ` (did you mean ${nearest}?)` : ''}`;
}
