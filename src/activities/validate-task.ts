import { log } from '@temporalio/activity';
import type { StandingConstraint } from '../constraints/schema';
import type { Roster } from '../specialists/roster';
import type { Task } from '../tasks/task-input';
import { finalVerdict, firstStage, type SecondStageOutcome } from '../tasks/validation-stages';
import type { ActivityDeps } from './deps';
import { createSecondStage } from './second-stage';
import type { ValidateTaskInput, ValidateTaskResult } from './types';

/** `field: unknown "Name" (known: …)`, or undefined when the roster has `name`. */
export function notOnRoster(field: string, name: string, roster: Roster): string | undefined {
  if (roster.get(name)) return undefined;
  return `${field}: unknown "${name}" (known: ${roster.specialists.map((s) => s.name).join(', ')})`;
}

/** Why a task cannot run as asked: the specialist it requests is not on the roster (undefined when it is, or it requests none). */
export function unknownSpecialist(task: Task, roster: Roster): string | undefined {
  return task.specialist ? notOnRoster('specialist', task.specialist, roster) : undefined;
}

/** The standing constraints that apply to this task: not the ones it set itself (a retried validation sees them registered). */
export function othersConstraints(list: readonly StandingConstraint[], taskId: string): StandingConstraint[] {
  return list.filter((c) => !(c.setBy.kind === 'task' && c.setBy.id === taskId));
}

/**
 * Pre-flight checks in two stages: the free rules (against the task and God's active standing
 * constraints), then, only when they cannot decide, one cheap model call billed to the task. An
 * accepted task's own `setsConstraints` are registered with God before the verdict is returned.
 */
export function createValidateTask(deps: Pick<ActivityDeps, 'roster' | 'llm' | 'models' | 'constraints'>) {
  const { roster, constraints } = deps;
  const secondStage = createSecondStage(deps);
  return async function validateTask({ taskId, task, spent = { usd: 0, tokens: 0 } }: ValidateTaskInput): Promise<ValidateTaskResult> {
    await roster.refresh?.();
    const unknown = unknownSpecialist(task, roster);
    const standing = othersConstraints((await constraints?.active()) ?? [], taskId);
    const first = firstStage(task, standing);
    if (unknown) {
      first.decision = 'reject';
      first.reasons.push(unknown);
    }
    let second: (SecondStageOutcome & { costUsd: number; tokens: number }) | undefined;
    if (first.decision === 'undecided') second = await secondStage(taskId, task, first, spent);
    const verdict = finalVerdict(first, second);
    if (verdict.ok && task.setsConstraints?.length && constraints) {
      const refused = await constraints.register(taskId, task.setsConstraints);
      if (refused) {
        verdict.ok = false;
        verdict.reasons.push(refused);
      }
    }
    log.info('task validated', { taskId, ok: verdict.ok, stage: verdict.stage, reasons: verdict.reasons, questions: first.questions, notes: verdict.notes, standing: standing.length });
    return { ok: verdict.ok, reasons: verdict.reasons, stage: verdict.stage, ...(verdict.notes.length && { notes: verdict.notes }), ...(second && { costUsd: second.costUsd, tokens: second.tokens }) };
  };
}
