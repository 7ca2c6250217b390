/**
 * What a task id may be: God's submitTask takes ids of this form (src/god/messages.ts), and
 * `pantheon submit --id` checks the same before anything is sent, whether or not God runs, so
 * an id means the same task on every path (a padded id was trimmed by God and kept by the direct
 * path: two workflows for one id).
 */
export const TASK_ID_MAX_CHARS = 200;
export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
export const TASK_ID_RULE = 'must be letters, digits, ".", "_", ":" or "-", starting with a letter or digit';

/** Why `id` is not a task id, or undefined when it is one. */
export function taskIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'must not be empty';
  if (id.trim() !== id) return 'must not start or end with spaces';
  if (id.length > TASK_ID_MAX_CHARS) return `must be at most ${TASK_ID_MAX_CHARS} characters, got ${id.length}`;
  if (!TASK_ID_PATTERN.test(id)) return TASK_ID_RULE;
  return undefined;
}
