import { log } from '@temporalio/activity';
import { recallForPrompt } from '../memory/recall-for-prompt';
import type { Roster } from '../specialists/roster';
import { decideByRules } from '../routing/rules';
import type { Task } from '../tasks/task-input';
import type { ActivityDeps } from './deps';
import { createClassifier } from './classify-task';
import type { RouteDecision, RouteTaskInput } from './types';

/** Every specialist, the chosen one first, then the rules' ranking, then the rest, fallback last. */
function candidateOrder(roster: Roster, chosen: string, ranked: string[]): string[] {
  const order = [chosen, ...ranked, ...roster.specialists.filter((s) => !s.fallback).map((s) => s.name), roster.fallback.name];
  return [...new Set(order)].filter((name) => roster.get(name));
}

/** What the keyword rules read; memory is asked by the objective alone (src/memory/record.ts `recallText`). */
function taskText(task: Task): string {
  return `${task.objective}\n${task.context}`;
}

/** Picks a specialist: the requested one, else the keyword rules, else a cheap classifier. */
export function createRouteTask(deps: ActivityDeps) {
  const { roster, memory } = deps;
  const classify = createClassifier(deps);
  return async function routeTask({ taskId, task, spent }: RouteTaskInput): Promise<RouteDecision> {
    await roster.refresh?.();
    const { lines: warnings } = await recallForPrompt(memory, task);
    const rules = decideByRules(taskText(task), roster.specialists);
    const ranked = rules.ranking.map((r) => r.specialist);
    const decide = (d: Omit<RouteDecision, 'candidates' | 'warnings' | 'costUsd' | 'tokens'>, costUsd = 0, tokens = 0): RouteDecision => {
      const decision = { ...d, candidates: candidateOrder(roster, d.specialist, ranked), warnings, costUsd, tokens };
      log.info('task routed', { taskId, specialist: decision.specialist, method: decision.method, confidence: decision.confidence });
      return decision;
    };

    if (task.specialist) {
      return decide({ specialist: task.specialist, confidence: 1, reason: 'requested by the submitter', method: 'requested' });
    }
    if (rules.choice) return decide({ ...rules.choice, method: 'rules' });

    const pick = await classify(taskId, task, spent);
    const { specialist, confidence, reason } = pick;
    return decide({ specialist, confidence, reason, method: pick.known ? 'classifier' : 'fallback' }, pick.costUsd, pick.tokens);
  };
}
