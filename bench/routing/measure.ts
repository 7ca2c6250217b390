import { KINDS, REGRESSION, scenarioRate, specialistsOf, type Kind } from './mix';

/**
 * The figures `npm run bench:routing` prints, from what each task did. Pure, so the arithmetic is
 * unit-tested apart from the run (test/unit/bench-routing.test.ts).
 */

export interface RoutedTask {
  /** Position in the order God started the tasks (0-based). */
  order: number;
  /** The task's workflow id. */
  taskId?: string;
  kind: Kind;
  /** The specialist the task ended on (after any reassignment). */
  specialist: string;
  /** The specialist God routed it to (its input's); absent when God named none. */
  routedTo?: string;
  completed: boolean;
  costUsd: number;
  /** How the routing policy picked; absent when it did not (static rules, a requested specialist). */
  mode?: 'exploit' | 'explore';
  policyVersion?: number;
  /** Started after the regression was injected. */
  afterRegression: boolean;
}

export interface PhaseFigures {
  tasks: number;
  successRate: number;
  costPerSuccessUsd: number;
  totalCostUsd: number;
  /** From task `fromTask` on: exploit picks, and the share of them that chose the kind's best arm. */
  exploit: { fromTask: number; picks: number; bestShare: number };
  /** Tasks per specialist, by kind. */
  routes: Record<string, Record<string, number>>;
  regression?: RegressionFigures;
}

export interface RegressionFigures {
  kind: Kind;
  specialist: string;
  /** Tasks started after the injection until the failing specialist's last pick for its kind. */
  lastPickAfterTasks: number | null;
  /** The same for picks the routing chose it as best (exploit, or static rules): explored picks
   * are uniform by design, logged with their probability, and earn it no traffic. */
  lastChosenAfterTasks: number | null;
  /** Picks of it among the kind's tasks started after injection, and how many those were. */
  picksAfter: number;
  kindTasksAfter: number;
  /** Of the kind's tasks started from the LOSES_TRAFFIC_WITHIN-th task after injection on: how
   * many there were and how many routing chose it for (explored picks apart, as above). */
  kindTasksLater: number;
  chosenLater: number;
  /** `lastChosenAfterTasks` for the routing's own picks: tasks God routed to it (not explored);
   * a task routed elsewhere that a reassignment (self-healing, in the rules' order) moved onto it
   * is not one. */
  lastRoutedAfterTasks: number | null;
  /** Tasks of the kind after injection that ended on it after a reassignment from another. */
  reassignedOnto: number;
}

/** The bench's target: a specialist that starts failing loses its traffic within this many tasks. */
export const LOSES_TRAFFIC_WITHIN = 30;

/**
 * A specialist's mean cost per run over both phases, ignoring kind (the scenario's cost factors
 * are 1: what differs by specialist is its model's price). A specialist never run has no figure.
 */
export function meanCostBySpecialist(tasks: readonly RoutedTask[]): Map<string, number> {
  const sums = new Map<string, { usd: number; n: number }>();
  for (const t of tasks) {
    const s = sums.get(t.specialist) ?? { usd: 0, n: 0 };
    s.usd += t.costUsd;
    s.n += 1;
    sums.set(t.specialist, s);
  }
  return new Map([...sums].map(([name, s]) => [name, s.usd / s.n]));
}

/**
 * The arm with the most success per dollar for `kind`: the scenario's success rate over the
 * specialist's measured mean cost. Specialists with no measured cost are left out.
 */
export function bestArm(kind: Kind, regressed: boolean, meanCost: ReadonlyMap<string, number>): string | undefined {
  let best: string | undefined;
  let bestValue = -Infinity;
  for (const specialist of specialistsOf(kind)) {
    const cost = meanCost.get(specialist);
    if (cost === undefined || cost <= 0) continue;
    const value = scenarioRate(kind, specialist, regressed) / cost;
    if (value > bestValue) [best, bestValue] = [specialist, value];
  }
  return best;
}

export function phaseFigures(tasks: readonly RoutedTask[], meanCost: ReadonlyMap<string, number>, exploitFrom: number): PhaseFigures {
  const completed = tasks.filter((t) => t.completed).length;
  const totalCostUsd = tasks.reduce((sum, t) => sum + t.costUsd, 0);
  const exploit = tasks.filter((t) => t.order >= exploitFrom && t.mode === 'exploit');
  const best = exploit.filter((t) => t.specialist === bestArm(t.kind, t.afterRegression, meanCost)).length;
  const routes: PhaseFigures['routes'] = {};
  for (const kind of KINDS) routes[kind] = {};
  for (const t of tasks) routes[t.kind][t.specialist] = (routes[t.kind][t.specialist] ?? 0) + 1;
  return {
    tasks: tasks.length,
    successRate: tasks.length ? completed / tasks.length : 0,
    costPerSuccessUsd: completed ? totalCostUsd / completed : Infinity,
    totalCostUsd,
    exploit: { fromTask: exploitFrom, picks: exploit.length, bestShare: exploit.length ? best / exploit.length : 0 },
    routes,
    ...(tasks.some((t) => t.afterRegression) && { regression: regressionFigures(tasks) }),
  };
}

export function regressionFigures(tasks: readonly RoutedTask[]): RegressionFigures {
  const after = [...tasks].filter((t) => t.afterRegression).sort((a, b) => a.order - b.order);
  const ofKind = after.filter((t) => t.kind === REGRESSION.kind);
  const picks = ofKind.filter((t) => t.specialist === REGRESSION.specialist);
  const last = picks.at(-1);
  const lastChosen = picks.filter((t) => t.mode !== 'explore').at(-1);
  const lastRouted = picks.filter((t) => t.mode !== 'explore' && (t.routedTo ?? t.specialist) === t.specialist).at(-1);
  return {
    kind: REGRESSION.kind,
    specialist: REGRESSION.specialist,
    lastPickAfterTasks: last ? after.indexOf(last) + 1 : null,
    lastChosenAfterTasks: lastChosen ? after.indexOf(lastChosen) + 1 : null,
    picksAfter: picks.length,
    kindTasksAfter: ofKind.length,
    kindTasksLater: ofKind.filter((t) => after.indexOf(t) >= LOSES_TRAFFIC_WITHIN).length,
    chosenLater: picks.filter((t) => t.mode !== 'explore' && after.indexOf(t) >= LOSES_TRAFFIC_WITHIN).length,
    lastRoutedAfterTasks: lastRouted ? after.indexOf(lastRouted) + 1 : null,
    reassignedOnto: picks.filter((t) => t.routedTo !== undefined && t.routedTo !== t.specialist).length,
  };
}

/**
 * How many tasks God started while a task ran (after its start, up to its close): how late, in
 * task starts, God hears of its outcome. A routing policy learns a run's verdict only when it ends,
 * so this is the least number of tasks that go by before a failing specialist can lose its traffic.
 */
export function startsWhileRunning(starts: readonly number[], startMs: number, closeMs: number): number {
  return starts.filter((t) => t > startMs && t <= closeMs).length;
}
