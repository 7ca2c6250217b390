import type { Scenario } from '../../src/llm/offline/scenario';
import type { TaskInput } from '../../src/tasks/task-input';

/**
 * The world `npm run bench:routing` runs in: a mix of everyday tasks of four kinds, and a
 * scenario for the offline provider saying how well and how dearly each specialist does each
 * kind. The task's true kind rides in an input label the provider reads and routing never does
 * (`[kind: …]`, see src/llm/offline/scenario.ts), so the label cannot steer the route.
 *
 * The scenario is built so that today's static rules are not already optimal: the cheap
 * Generalist does code review and research nearly as well as the dear specialists the keywords
 * name, and half the wordings name no keyword at all. What routing can learn is there to learn;
 * whether it does is what the bench measures.
 */

export const KINDS = ['database', 'research', 'review', 'general'] as const;
export type Kind = (typeof KINDS)[number];

/** Half of each kind's wordings carry a keyword of its specialist, half none (the rules miss them). */
const WORDINGS: Record<Kind, string[]> = {
  database: [
    'Add an index so the {x} lookups by customer stop scanning the whole table',
    'Write the SQL migration that splits the {x} column into two',
    'Why does the nightly {x} job lock rows for minutes, and how do we stop it',
    'Plan how we move the {x} records into the new storage layout without downtime',
    'Find which part of the {x} reads gets slower as the data grows',
    'Design the partitioning scheme for the {x} history as it passes a billion rows',
  ],
  research: [
    'Compare three hosted options for {x} and summarize the trade-offs',
    'Research what teams publish about running {x} at scale',
    'What are the main approaches to {x}, with their strengths and weaknesses',
    'Summarize the differences between the two leading designs for {x}',
    'Gather what is known about the failure modes of {x} in production',
    'Which vendors sell {x}, and what do their customers say about them',
  ],
  review: [
    'Review the pull request that changes the {x} handler for bugs',
    'Check this TypeScript function around {x} for a race condition',
    'Look over the change to {x} and say what could break',
    'Is the new {x} retry loop safe if two workers run it at once',
    'Go through the patch to {x} and point out anything risky',
    'Read the diff for the {x} refactor and flag security issues',
  ],
  general: [
    'Write a runbook for restarting the {x} service',
    'Draft a checklist for the {x} launch',
    'Organize the notes from the {x} planning meeting into next steps',
    'Explain to a new teammate how the {x} process works',
    'Prepare a short status update on the {x} work for the team',
    'List what we need to decide before the {x} rollout',
  ],
};

const SUBJECTS = ['orders', 'billing', 'checkout', 'search', 'payments', 'sessions', 'inventory', 'reporting', 'notifications', 'onboarding', 'audit log', 'shipping'];

export interface MixTask {
  kind: Kind;
  input: TaskInput;
}

/**
 * `n` tasks, kinds in a fixed rotation and wordings × subjects varied deterministically from `seed`,
 * so two runs with the same seed see the same tasks in the same order.
 */
export function routingMix(n: number, seed: number): MixTask[] {
  const tasks: MixTask[] = [];
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
  for (let i = 0; i < n; i++) {
    const kind = KINDS[i % KINDS.length];
    const wordings = WORDINGS[kind];
    const objective = wordings[next() % wordings.length].replace('{x}', SUBJECTS[next() % SUBJECTS.length]);
    tasks.push({
      kind,
      input: {
        objective,
        inputs: { bench: `[kind: ${kind}]` },
        // Few iterations: a failing specialist (it never delivers) ends the run at this limit.
        maxIterations: 6,
        // One specialist per task: the outcome is the routed specialist's, not a reassignment's.
        maxReassignments: 0,
      },
    });
  }
  return tasks;
}

/** successRate, costFactor per kind and specialist. */
type Table = Record<Kind, Record<string, [number, number]>>;

// Relative price per token of each specialist's model (src/llm/prices.json): Generalist
// (gpt-4o-mini) 1, DatabaseAgent (gpt-4.1-mini) ~2.7, ResearchAgent (claude-haiku-4-5) ~6.7,
// CodeReviewAgent (claude-sonnet-4-6) ~20. So by success per dollar the Generalist is the best arm
// for research, review and general work, and the DatabaseAgent for database work (the Generalist
// rarely gets that right) — until the regression.
const BASE: Table = {
  database: { DatabaseAgent: [0.92, 1], Generalist: [0.25, 1], ResearchAgent: [0.3, 1], CodeReviewAgent: [0.5, 1] },
  research: { ResearchAgent: [0.85, 1], Generalist: [0.7, 1], DatabaseAgent: [0.3, 1], CodeReviewAgent: [0.3, 1] },
  review: { CodeReviewAgent: [0.9, 1], Generalist: [0.75, 1], DatabaseAgent: [0.4, 1], ResearchAgent: [0.3, 1] },
  general: { Generalist: [0.85, 1], ResearchAgent: [0.6, 1], DatabaseAgent: [0.4, 1], CodeReviewAgent: [0.5, 1] },
};

/** The specialist whose success falls when the regression is injected, and for which kind. */
export const REGRESSION = { kind: 'database' as Kind, specialist: 'DatabaseAgent', successRate: 0.1 };

function scenarioOf(table: Table, seed: number): Scenario {
  const rules = KINDS.flatMap((kind) => Object.entries(table[kind]).map(([specialist, [successRate, costFactor]]) => ({ specialist, kind, successRate, costFactor })));
  return { seed, rules };
}

export function baseScenario(seed: number): Scenario {
  return scenarioOf(BASE, seed);
}

/** The base scenario with REGRESSION's specialist failing at its kind. */
export function regressedScenario(seed: number): Scenario {
  const table: Table = { ...BASE, [REGRESSION.kind]: { ...BASE[REGRESSION.kind], [REGRESSION.specialist]: [REGRESSION.successRate, BASE[REGRESSION.kind][REGRESSION.specialist][1]] } };
  return scenarioOf(table, seed);
}

/** What the scenario says of `specialist` at `kind` (success rate, cost factor); regressed after injection. */
export function scenarioRate(kind: Kind, specialist: string, regressed: boolean): number {
  if (regressed && kind === REGRESSION.kind && specialist === REGRESSION.specialist) return REGRESSION.successRate;
  return BASE[kind][specialist]?.[0] ?? 0;
}

export function specialistsOf(kind: Kind): string[] {
  return Object.keys(BASE[kind]);
}
