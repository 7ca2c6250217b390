import type { TaskFinished } from './types';

/**
 * The tasks God is starting (between its StartChild command and the child's start resolving), and
 * the finish each reported meanwhile. A child can end and signal before God hears it started:
 * both then arrive in one workflow activation, and Temporal applies signals before the start's
 * resolution, so the report would meet no in-flight task. Held here, it is applied once the start
 * is recorded. Plain workflow memory: a run only ever awaits its own starts.
 */
export class PendingStarts {
  private readonly pending = new Map<string, TaskFinished | undefined>();

  begin(taskId: string): void {
    this.pending.set(taskId, undefined);
  }

  /** Whether God is starting this task right now. */
  starting(taskId: string): boolean {
    return this.pending.has(taskId);
  }

  /** Keeps a finish for a task being started (the latest report wins, as with signals). */
  hold(finished: TaskFinished): void {
    if (this.pending.has(finished.taskId)) this.pending.set(finished.taskId, finished);
  }

  /** The start is over (recorded, or refused): the finish heard meanwhile, if any. */
  end(taskId: string): TaskFinished | undefined {
    const finished = this.pending.get(taskId);
    this.pending.delete(taskId);
    return finished;
  }
}
