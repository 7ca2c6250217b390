/**
 * What memory may put in a prompt, decided in one place: the query (the task's embedding text,
 * ranked hybrid, floored), the order of the lines (this task's own failed attempts, then similar
 * past failures, then past successes) and the totals (at most 5 lines and 1,500 characters).
 * Every line is labelled with its source and its excerpts are JSON-quoted (src/memory/lessons.ts):
 * recalled text is data for the specialist, never an instruction.
 *
 * @example
 *   const lines = await recallForPrompt(memory, task, { specialist: 'DatabaseAgent' });
 *   taskMessage(task, lines) // renders them under WARNINGS FROM MEMORY
 */
import { formatWarnings, HINT_PREFIX, name, quote, WARNING_PREFIX } from './lessons';
import { recallText } from './record';
import type { LessonHit } from './lesson-types';
import type { MemoryHit, MemoryStore, RecallQuery } from './types';

/** At most this many memory lines reach one prompt. */
export const PROMPT_MEMORY_LINES = 5;
/** And at most this many characters of them, all lines together. */
export const PROMPT_MEMORY_CHARS = 1_500;
/**
 * Hybrid relevance (src/memory/hybrid-rank.ts) a recalled record must exceed to reach a prompt.
 * Chosen on the labelled set (test/fixtures/memory-recall-labelled.jsonl, `npm run bench:memory`):
 * at 0.25 recall@3 is 0.76 and 97 % of never-seen tasks get nothing; at 0.2 recall@3 is 0.89 but
 * only 80 % of those stay empty, at 0.3 it is 0.63 and 97 %.
 */
export const PROMPT_RELEVANCE_FLOOR = 0.25;

/** The label of a line that tells the next specialist how an earlier attempt at this same task failed. */
export const ATTEMPT_PREFIX = '[memory: this task, earlier attempt]';
/** The label of a consolidated lesson (src/memory/lesson-book.ts): one line learned from many failures. */
export const LESSON_PREFIX = '[memory: lesson]';
/** Cosine similarity (lessons are recalled by vector only) a lesson must exceed to reach a prompt. */
export const LESSON_RELEVANCE_FLOOR = 0.3;
/** Lessons per prompt, of the five lines. */
export const PROMPT_LESSONS = 2;

/** The label the workflow used before this module (src/workflows/failures.ts `failureWarning`). */
const LEGACY_ATTEMPT_PREFIX = '[pantheon: earlier attempt]';

/** The query every prompt-bound recall makes. */
export function promptRecallQuery(task: { objective: string }, extra: Partial<RecallQuery> = {}): RecallQuery {
  return { text: recallText(task), limit: PROMPT_MEMORY_LINES, minScore: PROMPT_RELEVANCE_FLOOR, hybrid: true, ...extra };
}

/** One failed attempt of this task, as the next specialist reads it. */
export interface FailedAttempt {
  specialist?: string;
  activity: string;
  type: string;
  message: string;
}

/** A failed attempt as a labelled line; the failure's message is quoted (it may carry provider text). */
export function attemptLine(failure: FailedAttempt): string {
  return `${ATTEMPT_PREFIX} ${name(failure.specialist ?? 'unknown')} failed in ${name(failure.activity)} with ${name(failure.type)}: ${quote(failure.message, 200)}. Take a different approach.`;
}

/** A lesson as a labelled line: who learned it, from how many tasks; its text quoted. */
export function lessonLine({ lesson, score }: LessonHit): string {
  const tasks = lesson.evidence === 1 ? '1 failed task' : `${lesson.evidence} failed tasks`;
  return `${LESSON_PREFIX} (similarity ${score.toFixed(2)}) Learned from ${tasks} of ${name(lesson.specialist)}: ${quote(lesson.text, 220)}.`;
}

function rank(line: string): number {
  if (line.startsWith(ATTEMPT_PREFIX) || line.startsWith(LEGACY_ATTEMPT_PREFIX)) return 0;
  if (line.startsWith(LESSON_PREFIX)) return 1;
  if (line.startsWith(WARNING_PREFIX)) return 2;
  if (line.startsWith(HINT_PREFIX)) return 3;
  return 4;
}

/**
 * The lines that reach a prompt: duplicates dropped, this task's own attempts first (the latest
 * first), then lessons, then past failures, then successes, each group in its given order; then cut to
 * {@link PROMPT_MEMORY_LINES} lines and {@link PROMPT_MEMORY_CHARS} characters (a line that does
 * not fit whole is left out, never cut).
 */
export function fitMemoryLines(lines: readonly string[]): string[] {
  const unique = [...new Set(lines)];
  const attempts = unique.filter((l) => rank(l) === 0).reverse();
  const rest = unique.filter((l) => rank(l) > 0).map((l, i) => ({ l, i })).sort((a, b) => rank(a.l) - rank(b.l) || a.i - b.i).map(({ l }) => l);
  const fitted: string[] = [];
  let chars = 0;
  for (const line of [...attempts, ...rest]) {
    if (fitted.length === PROMPT_MEMORY_LINES) break;
    if (chars + line.length > PROMPT_MEMORY_CHARS) continue;
    fitted.push(line);
    chars += line.length;
  }
  return fitted;
}

/** Records of `specialist` first (its own past failures speak to it most), otherwise by score. */
function mergeHits(own: MemoryHit[], all: MemoryHit[]): MemoryHit[] {
  const seen = new Set<string>();
  return [...own, ...all].filter((h) => !seen.has(h.record.id) && seen.add(h.record.id));
}

/**
 * The memory lines for a specialist about to run a task: this task's failed attempts so far, the
 * lessons learned from similar failures (any specialist's: one agent's failure is another's
 * warning), the specialist's own failures on similar tasks, and similar tasks' outcomes, fitted
 * to the limits. `lessonIds` are the lessons that made it into the lines (a success marks them helped).
 */
export async function recallForPrompt(
  memory: Pick<MemoryStore, 'recall'> & Partial<Pick<MemoryStore, 'recallLessons'>>,
  task: { objective: string },
  options: { specialist?: string; attempts?: readonly FailedAttempt[]; countLessonHits?: boolean } = {},
): Promise<{ lines: string[]; lessonIds: string[] }> {
  // A lesson taught by one task only, of a specialist and failure this task's attempts already
  // name, is this task's own (its reassignment just wrote it): the attempt's line says it, so it
  // would take a second of the few lines to say the same, and count the task's success as its help.
  const ownFailures = (options.attempts ?? []).flatMap((a) => (a.specialist ? [{ specialist: a.specialist, failureType: a.type }] : []));
  const [own, all, lessons] = await Promise.all([
    options.specialist ? memory.recall(promptRecallQuery(task, { specialist: options.specialist, success: false, limit: 2 })) : Promise.resolve([]),
    memory.recall(promptRecallQuery(task)),
    // Counting hits writes; a store that cannot write (an outage) must still answer with records.
    memory.recallLessons
      ? memory
          .recallLessons({ text: recallText(task), limit: PROMPT_LESSONS, minScore: LESSON_RELEVANCE_FLOOR, countHits: options.countLessonHits ?? false, ownFailures })
          .catch(() => [] as LessonHit[])
      : Promise.resolve([] as LessonHit[]),
  ]);
  const lessonLines = new Map(lessons.map((hit) => [lessonLine(hit), hit.lesson.id]));
  const lines = fitMemoryLines([...(options.attempts ?? []).map(attemptLine), ...lessonLines.keys(), ...formatWarnings(mergeHits(own, all))]);
  return { lines, lessonIds: lines.flatMap((l) => (lessonLines.has(l) ? [lessonLines.get(l)!] : [])) };
}
