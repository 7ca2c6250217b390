import { bestArm, meanCostBySpecialist, phaseFigures, regressionFigures, startsWhileRunning, type RoutedTask } from '../../bench/routing/measure';
import { REGRESSION, routingMix } from '../../bench/routing/mix';

/** The routing benchmark's arithmetic, on hand-made task records (the run itself is `npm run bench:routing`). */

const task = (over: Partial<RoutedTask> & Pick<RoutedTask, 'order' | 'kind' | 'specialist'>): RoutedTask => ({ completed: true, costUsd: 0.01, afterRegression: false, ...over });

describe('routing benchmark figures', () => {
  it('names as best arm the most success per dollar, by the scenario rate over measured cost', () => {
    // review: CodeReviewAgent 0.9 at $0.03 (30/$) vs Generalist 0.85 at $0.005 (170/$).
    const cost = new Map([['CodeReviewAgent', 0.03], ['Generalist', 0.005], ['DatabaseAgent', 0.01], ['ResearchAgent', 0.01]]);
    expect(bestArm('review', false, cost)).toBe('Generalist');
    // database, same cost: DatabaseAgent's 0.9 beats Generalist's 0.45.
    expect(bestArm('database', false, new Map([['DatabaseAgent', 0.01], ['Generalist', 0.01]]))).toBe('DatabaseAgent');
    // After the regression DatabaseAgent succeeds at 0.1: no longer the best for database.
    expect(bestArm('database', true, new Map([['DatabaseAgent', 0.01], ['Generalist', 0.01]]))).toBe('Generalist');
    // A specialist never run has no measured cost and is left out.
    expect(bestArm('review', false, new Map([['CodeReviewAgent', 0.03]]))).toBe('CodeReviewAgent');
  });

  it('counts success rate, cost per success and the best-arm share of exploit picks from the given task on', () => {
    const tasks = [
      task({ order: 0, kind: 'review', specialist: 'Generalist', mode: 'exploit', costUsd: 0.004 }),
      task({ order: 1, kind: 'review', specialist: 'CodeReviewAgent', mode: 'exploit', costUsd: 0.03 }),
      task({ order: 2, kind: 'review', specialist: 'Generalist', mode: 'exploit', costUsd: 0.006 }),
      task({ order: 3, kind: 'review', specialist: 'CodeReviewAgent', mode: 'explore', costUsd: 0.03, completed: false }),
    ];
    const cost = meanCostBySpecialist(tasks);
    expect(cost.get('Generalist')).toBeCloseTo(0.005);
    const f = phaseFigures(tasks, cost, 1);
    expect(f.successRate).toBe(0.75);
    expect(f.costPerSuccessUsd).toBeCloseTo(0.07 / 3);
    // From task 1: exploit picks are orders 1 and 2; only 2 chose Generalist.
    expect(f.exploit).toEqual({ fromTask: 1, picks: 2, bestShare: 0.5 });
    expect(f.routes.review).toEqual({ Generalist: 2, CodeReviewAgent: 2 });
  });

  it('says how many tasks after the injected regression the failing specialist was last picked for its kind', () => {
    const k = REGRESSION.kind;
    const tasks = [
      task({ order: 0, kind: k, specialist: REGRESSION.specialist }),
      task({ order: 1, kind: k, specialist: REGRESSION.specialist, afterRegression: true, completed: false }),
      task({ order: 2, kind: 'review', specialist: 'Generalist', afterRegression: true }),
      task({ order: 3, kind: k, specialist: REGRESSION.specialist, afterRegression: true, completed: false }),
      task({ order: 4, kind: k, specialist: 'Generalist', afterRegression: true }),
      task({ order: 5, kind: k, specialist: REGRESSION.specialist, afterRegression: true, mode: 'explore', completed: false }),
    ];
    // The explored pick at the end is its last pick, but not the last time routing chose it.
    expect(regressionFigures(tasks)).toEqual({ kind: k, specialist: REGRESSION.specialist, lastPickAfterTasks: 5, lastChosenAfterTasks: 3, picksAfter: 3, kindTasksAfter: 4, kindTasksLater: 0, chosenLater: 0, lastRoutedAfterTasks: 3, reassignedOnto: 0 });
    // Routed to the Generalist, moved onto the failing specialist by a reassignment: it ended there
    // (chosen, as the traffic it got), but the routing's last pick of it stays where it was.
    const moved = [...tasks, task({ order: 6, kind: k, specialist: REGRESSION.specialist, routedTo: 'Generalist', afterRegression: true, completed: false })];
    expect(regressionFigures(moved)).toMatchObject({ lastChosenAfterTasks: 6, lastRoutedAfterTasks: 3, reassignedOnto: 1 });
    expect(regressionFigures(tasks.slice(0, 1)).lastPickAfterTasks).toBeNull();
    // Later: from the 30th task after the injection on, what routing still chose it for.
    const later = Array.from({ length: 40 }, (_, i) => task({ order: 10 + i, kind: k, specialist: i === 35 ? REGRESSION.specialist : 'Generalist', afterRegression: true, ...(i === 38 ? { specialist: REGRESSION.specialist, mode: 'explore' as const } : {}) }));
    expect(regressionFigures(later)).toMatchObject({ kindTasksLater: 10, chosenLater: 1, picksAfter: 2 });
  });

  it('counts the tasks started while a task ran: after its start, up to its close', () => {
    const starts = [0, 100, 200, 300, 400, 500];
    expect(startsWhileRunning(starts, 100, 400)).toBe(3); // 200, 300, 400
    expect(startsWhileRunning(starts, 500, 900)).toBe(0);
    expect(startsWhileRunning(starts, 0, 50)).toBe(0);
  });

  it('draws the same task mix for the same seed, kinds in rotation, labels only in an input', () => {
    const a = routingMix(12, 7);
    expect(routingMix(12, 7)).toEqual(a);
    expect(routingMix(12, 8).map((t) => t.input.objective)).not.toEqual(a.map((t) => t.input.objective));
    expect(a.slice(0, 4).map((t) => t.kind)).toEqual(['database', 'research', 'review', 'general']);
    for (const t of a) {
      expect(t.input.inputs).toEqual({ bench: `[kind: ${t.kind}]` });
      expect(t.input.objective).not.toMatch(/\[kind:/);
    }
  });
});
