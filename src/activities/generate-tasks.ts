import { Context, log } from '@temporalio/activity';
import { GeneratorAnswer, PROPOSED_TASK_FIELDS } from '../god/protocol';
import type { Goal } from '../god/types';
import { parseStructured } from '../llm/client';
import { totalTokens } from '../llm/usage';
import { formatWarnings } from '../memory/lessons';
import { describeRoster } from '../specialists/roster';
import { describeIssues, TaskInputSchema, type TaskInput } from '../tasks/task-input';
import { firstStage } from '../tasks/validation-stages';
import type { ActivityDeps } from './deps';
import { GENERATOR_PROMPT, generatorMessage } from './god-prompts';
import type { GenerateTasksInput, GenerateTasksResult } from './god-types';
import { heartbeatWhile } from './heartbeat';

/** The most tasks one generation may ask for (GoalInputSchema's tasksPerRun cap). */
export const MAX_GENERATED = 5;
const LESSON_LIMIT = 5;
const LESSON_MIN_SCORE = 0.25;

function sameObjective(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

/**
 * Judges the generator's proposals: only objective, context, priority and constraints are taken
 * from the model (lane and goal come from the goal, so a proposal cannot buy itself the main
 * lane); each must fit the task schema, must not be one validation's first stage is sure to reject,
 * and must not repeat a recent or sibling objective. What the rules cannot decide (a borderline
 * objective, a constraint in other words) is kept: God's assessment validates every task before it
 * runs, with the second stage and the standing constraints, as validateTask would. At most `count`
 * are kept. Pure.
 */
export function acceptProposals(proposals: readonly unknown[], goal: Pick<Goal, 'id' | 'lane'>, count: number, recentObjectives: readonly string[] = []): { tasks: TaskInput[]; rejected: string[]; ignoredFields: string[] } {
  const tasks: TaskInput[] = [];
  const rejected: string[] = [];
  const ignored = new Set<string>();
  const seen = new Set(recentObjectives.map(sameObjective));
  proposals.forEach((proposal, i) => {
    const at = `tasks.${i}`;
    if (typeof proposal !== 'object' || proposal === null || Array.isArray(proposal)) {
      rejected.push(`${at}: must be an object`);
      return;
    }
    const picked: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(proposal)) {
      if ((PROPOSED_TASK_FIELDS as readonly string[]).includes(key)) picked[key] = value;
      else ignored.add(key);
    }
    const input = { ...picked, lane: goal.lane, goalId: goal.id };
    const parsed = TaskInputSchema.safeParse(input);
    if (!parsed.success) {
      rejected.push(...describeIssues(parsed.error).map((issue) => `${at}.${issue}`));
      return;
    }
    const verdict = firstStage(parsed.data);
    if (verdict.decision === 'reject') {
      rejected.push(...verdict.reasons.map((reason) => `${at}.${reason}`));
      return;
    }
    const key = sameObjective(parsed.data.objective);
    if (seen.has(key)) {
      rejected.push(`${at}.objective: repeats a recent or earlier objective`);
      return;
    }
    if (tasks.length >= count) {
      rejected.push(`${at}: beyond the ${count} task(s) asked for`);
      return;
    }
    seen.add(key);
    tasks.push(input as TaskInput);
  });
  return { tasks, rejected, ignoredFields: [...ignored] };
}

/**
 * Asks a cheap model for a goal's next concrete tasks, given recent outcomes and the failures
 * memory recalls for the goal, and judges each proposal (see {@link acceptProposals}). The call
 * goes through the budgeted client under the goal's lane, with God as its root. A retry asks
 * again (the ledger keys calls per attempt, so each attempt is billed once); God deduplicates
 * what it receives by fingerprint, so a re-asked generation never queues a task twice.
 */
export function createGenerateTasks({ llm, memory, models, roster }: Pick<ActivityDeps, 'llm' | 'memory' | 'models' | 'roster'>) {
  return async function generateTasks({ godId, callId, goal, count, recent }: GenerateTasksInput): Promise<GenerateTasksResult> {
    const ctx = Context.current();
    const asked = Math.max(1, Math.min(MAX_GENERATED, Math.floor(count) || 1));
    await roster.refresh?.();
    ctx.heartbeat({ callId, phase: 'recall' });
    const hits = await memory.recall({ text: goal.objective, limit: LESSON_LIMIT, success: false, minScore: LESSON_MIN_SCORE });
    const lessons = formatWarnings(hits);
    const call = llm.complete(
      {
        ...models.generator,
        system: `${GENERATOR_PROMPT}\n${describeRoster(roster)}`,
        messages: [{ role: 'user', content: generatorMessage({ callId, count: asked, goal, recent, lessons }) }],
        json: true,
        purpose: 'generator',
        taskId: callId,
        lineage: { rootTaskId: godId, spawnDepth: 0 },
        lane: goal.lane,
      },
      ctx.cancellationSignal,
    );
    const answer = await heartbeatWhile(call, () => ({ callId, phase: 'generating' }));
    const tokens = totalTokens(answer.usage);
    const { tasks: proposals } = parseStructured(answer, GeneratorAnswer, 'generator');
    const { tasks, rejected, ignoredFields } = acceptProposals(proposals, goal, asked, recent.map((r) => r.objective));
    log.info('tasks generated', { callId, goalId: goal.id, proposed: proposals.length, accepted: tasks.length, rejected: rejected.length, ignoredFields, lessons: lessons.length, costUsd: answer.costUsd });
    return { tasks, rejected, costUsd: answer.costUsd, tokens };
  };
}
