import { z } from 'zod';
import { DEFAULT_SYSTEM_MODELS } from '../../src/activities/deps';
import { askValidator } from '../../src/activities/second-stage';
import { loadConfig } from '../../src/config/env';
import { createConfiguredLlmClient } from '../../src/llm/providers';
import { StandingConstraintSchema, type StandingConstraint } from '../../src/constraints/schema';
import { TaskInputSchema, type Task } from '../../src/tasks/task-input';
import { finalVerdict, firstStage, type SecondStageOutcome, type StageOneVerdict } from '../../src/tasks/validation-stages';
import { REJECTION_CATEGORIES } from '../../src/tasks/validator-protocol';
import { describeFirstIssue, readJsonl } from '../jsonl';

/**
 * The labelled validation set and its figures: precision and recall of rejection, for the rules
 * alone and for both stages (the second stage through whatever `judge` is handed in: the offline
 * provider, or a live model).
 */

export const LABELLED_FILE = 'test/fixtures/validation-labelled.jsonl';
/** Sets written after the lexicons, each measured blind before its misses were used (README, *Measured*). */
export const BLIND_FILE = 'test/fixtures/validation-blind.jsonl';

export const LabelledRow = z.object({
  id: z.string(),
  task: z.unknown(),
  standing: z.array(StandingConstraintSchema).default([]),
  expected: z.enum(['accept', 'reject']),
  reason: z.enum(REJECTION_CATEGORIES).nullable(),
  tags: z.array(z.string()),
});
export type LabelledRow = Omit<z.infer<typeof LabelledRow>, 'task' | 'standing'> & { task: Task; standing: StandingConstraint[] };

export function loadLabelled(file = LABELLED_FILE): LabelledRow[] {
  return readJsonl(file, LabelledRow).map(({ row, line }) => {
    const task = TaskInputSchema.safeParse(row.task);
    if (!task.success) throw new Error(`${file}:${line} (${row.id}): ${describeFirstIssue(task.error, 'task')}`);
    return { ...row, task: task.data, standing: row.standing as StandingConstraint[] };
  });
}

export interface Figures {
  precision: number;
  recall: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

export interface Evaluation {
  rows: number;
  rejectsExpected: number;
  rulesOnly: Figures;
  twoStage: Figures;
  /** Rows the rules left undecided: the second stage's calls. */
  secondStageCalls: number;
  secondStageFailures: number;
  /** Rows each mode got wrong: id, expected, tags. */
  misses: { rulesOnly: string[]; twoStage: string[] };
  /** Recall of each rejection reason, two-stage; null for a reason no row should be rejected for (no recall to measure). */
  recallByReason: Record<string, number | null>;
}

export type Judge = (taskId: string, task: Task, first: StageOneVerdict) => Promise<SecondStageOutcome>;

/** The second stage as Pantheon asks it (the real SDK over HTTP), answered by the offline provider at `url`. */
export function offlineJudge(url: string): Judge {
  const llm = createConfiguredLlmClient(loadConfig({ PANTHEON_LLM_MODE: 'offline', PANTHEON_OFFLINE_URL: url }));
  return (taskId, task, first) => askValidator({ llm, models: DEFAULT_SYSTEM_MODELS }, { taskId, task, first });
}

function figures(pairs: Array<{ expected: boolean; predicted: boolean }>): Figures {
  const tp = pairs.filter((p) => p.expected && p.predicted).length;
  const fp = pairs.filter((p) => !p.expected && p.predicted).length;
  const fn = pairs.filter((p) => p.expected && !p.predicted).length;
  return { precision: tp + fp ? tp / (tp + fp) : 1, recall: tp + fn ? tp / (tp + fn) : 1, truePositives: tp, falsePositives: fp, falseNegatives: fn };
}

export async function evaluate(rows: LabelledRow[], judge: Judge): Promise<Evaluation> {
  const rules: Array<{ expected: boolean; predicted: boolean }> = [];
  const both: Array<{ expected: boolean; predicted: boolean; reason: string | null }> = [];
  const misses = { rulesOnly: [] as string[], twoStage: [] as string[] };
  let calls = 0;
  let failures = 0;
  for (const row of rows) {
    const expected = row.expected === 'reject';
    const first = firstStage(row.task, row.standing);
    const rulesReject = first.decision === 'reject';
    let second: SecondStageOutcome | undefined;
    if (first.decision === 'undecided') {
      calls += 1;
      second = await judge(`bench-${row.id}`, row.task, first);
      if ('failed' in second) failures += 1;
    }
    const verdict = finalVerdict(first, second);
    rules.push({ expected, predicted: rulesReject });
    both.push({ expected, predicted: !verdict.ok, reason: row.reason });
    const tag = `${row.id} (${row.expected}${row.reason ? ` ${row.reason}` : ''}; ${row.tags.join(',')})`;
    if (rulesReject !== expected) misses.rulesOnly.push(tag);
    if (!verdict.ok !== expected) misses.twoStage.push(tag);
  }
  const recallByReason: Record<string, number | null> = {};
  for (const reason of REJECTION_CATEGORIES) {
    const ofReason = both.filter((b) => b.reason === reason);
    recallByReason[reason] = ofReason.some((b) => b.expected) ? figures(ofReason).recall : null;
  }
  return {
    rows: rows.length,
    rejectsExpected: rows.filter((r) => r.expected === 'reject').length,
    rulesOnly: figures(rules),
    twoStage: figures(both),
    secondStageCalls: calls,
    secondStageFailures: failures,
    misses,
    recallByReason,
  };
}

export function report(title: string, e: Evaluation): string {
  const f = (x: Figures) => `precision ${x.precision.toFixed(3)}  recall ${x.recall.toFixed(3)}  (tp ${x.truePositives}, fp ${x.falsePositives}, fn ${x.falseNegatives})`;
  return [
    `${title}: ${e.rows} labelled tasks, ${e.rejectsExpected} should be rejected (${((100 * e.rejectsExpected) / e.rows).toFixed(0)} %)`,
    `  rules only   ${f(e.rulesOnly)}`,
    `  two-stage    ${f(e.twoStage)}`,
    `  second stage asked for ${e.secondStageCalls} of ${e.rows} tasks (${e.secondStageFailures} failed)`,
    `  two-stage recall by reason: ${Object.entries(e.recallByReason).map(([k, v]) => `${k} ${v === null ? 'n/a (no such row)' : v.toFixed(3)}`).join(', ')}`,
    ...(e.misses.twoStage.length ? [`  two-stage misses: ${e.misses.twoStage.join('; ')}`] : []),
  ].join('\n');
}
