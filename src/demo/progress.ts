import type { Client, WorkflowHandle } from '@temporalio/client';
import { formatUsd } from '../client/format';
import type { agentTask } from '../workflows';
import { taskState } from '../client/tasks';
import { isTerminal, type TaskState } from '../workflows/task-state';

export interface Watched {
  slug: string;
  handle: WorkflowHandle<typeof agentTask>;
}

function line(slug: string, s: TaskState): string {
  const where = s.specialist ? `${s.specialist}${s.iteration ? ` · iteration ${s.iteration}` : ''}` : '';
  const compressed = s.compressions.length ? ` · compressed ×${s.compressions.length}` : '';
  return `  ${slug.padEnd(20)} ${s.status.padEnd(13)} ${where}${compressed}  ${formatUsd(s.costUsd)}`;
}

/**
 * Prints a line whenever a task's state changes, until every task has ended; returns the final
 * states. Running tasks answer the `state` query; ended ones return their outcome.
 */
export async function watchTasks(client: Client, tasks: Watched[], pollMs = 400): Promise<Map<string, TaskState>> {
  const last = new Map<string, string>();
  const final = new Map<string, TaskState>();
  while (final.size < tasks.length) {
    await Promise.all(
      tasks
        .filter((t) => !final.has(t.slug))
        .map(async ({ slug, handle }) => {
          const { execution, state } = await taskState(client, handle.workflowId);
          if (!state) throw new Error(`task ${slug} (${handle.workflowId}) ended as ${execution.toLowerCase()}, outside Pantheon's control`);
          const text = line(slug, state);
          if (last.get(slug) !== text) console.log(text);
          last.set(slug, text);
          if (isTerminal(state.status)) final.set(slug, state);
        }),
    );
    if (final.size < tasks.length) await new Promise((r) => setTimeout(r, pollMs));
  }
  return final;
}

export function printSummary(states: Map<string, TaskState>): void {
  console.log('\n  task                 status         specialist        iters  cost        why');
  let total = 0;
  for (const [slug, s] of states) {
    total += s.costUsd;
    console.log(
      `  ${slug.padEnd(20)} ${s.status.padEnd(14)} ${(s.specialist ?? '-').padEnd(17)} ${String(s.iteration).padStart(5)}  ${formatUsd(s.costUsd).padEnd(11)} ${s.reasons[0] ?? ''}`,
    );
  }
  console.log(`  total cost ${formatUsd(total)}`);
}
