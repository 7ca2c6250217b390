import { AsyncLocalStorage } from 'node:async_hooks';
import type { LineageInput } from './lineage';

/**
 * The lineage of the task an activity works for, where calls made deep below the activity can
 * read it. Chat calls carry their task's lineage from their request; an embedding call is made by
 * the memory store (recall, store), which knows only text. Without this, a task past
 * `max_spawn_depth` would have its embeddings granted (at depth 0) before its first chat call was
 * denied: money spent by a task that should never have run.
 */
const current = new AsyncLocalStorage<LineageInput>();

/** Runs `fn` with the lineage of the task in the activity's input (`{ task: { lineage } }`), if it names one. */
export function withTaskLineage<R>(input: unknown, fn: () => Promise<R>): Promise<R> {
  const lineage = lineageIn(input);
  return lineage ? current.run(lineage, fn) : fn();
}

/** The lineage of the task the current activity works for; undefined for a root task or outside one. */
export function currentTaskLineage(): LineageInput | undefined {
  return current.getStore();
}

function lineageIn(input: unknown): LineageInput | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const task = (input as { task?: unknown }).task;
  if (typeof task !== 'object' || task === null) return undefined;
  const lineage = (task as { lineage?: LineageInput }).lineage;
  return lineage && typeof lineage.spawnDepth === 'number' ? lineage : undefined;
}
