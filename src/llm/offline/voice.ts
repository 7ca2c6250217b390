import type { TaskOutline } from './conversation';

/** One unit of work a specialist reports on: a work item, or the whole task when it lists none. */
export interface WorkStep {
  step: number;
  total: number;
  item: string;
  /** The task's first plain line, which can carry intent its items leave out. */
  title: string;
}

/**
 * A final deliverable in parts, so it can be shortened to fit max_tokens by dropping body lines
 * (saying how many) rather than being cut into broken JSON.
 */
export interface Deliverable {
  head: string[];
  body: string[];
  tail: string[];
  omitted(count: number): string;
}

/** How one specialist phrases its progress notes and its final deliverable. */
export interface Voice {
  note(work: WorkStep): string;
  finalNote(outline: TaskOutline, total: number): string;
  result(outline: TaskOutline): Deliverable;
}

export function renderDeliverable(d: Deliverable, keep = d.body.length): string {
  const dropped = d.body.length - keep;
  const body = dropped > 0 ? [...d.body.slice(0, keep), d.omitted(dropped)] : d.body;
  return [...d.head, ...body, ...d.tail].join('\n');
}

/** The units a task is worked in: its items, or its title when it has none. */
export function unitsOf(outline: TaskOutline): string[] {
  if (outline.items.length > 0) return outline.items;
  return [outline.title || 'the requested work'];
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
