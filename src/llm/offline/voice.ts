import type { TaskOutline } from './conversation';

/** One unit of work a specialist reports on: a work item, or the whole task when it lists none. */
export interface WorkStep {
  step: number;
  total: number;
  item: string;
}

/** How one specialist phrases its progress notes and its final deliverable. */
export interface Voice {
  note(work: WorkStep): string;
  finalNote(outline: TaskOutline, total: number): string;
  result(outline: TaskOutline): string;
}

/** The units a task is worked in: its items, or its title when it has none. */
export function unitsOf(outline: TaskOutline): string[] {
  if (outline.items.length > 0) return outline.items;
  return [outline.title || 'the requested work'];
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
