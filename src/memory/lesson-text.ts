/**
 * A failure's lesson as one imperative line, and the deterministic key that makes "the same lesson"
 * the same row everywhere: offline mark, specialist, failure type and the normalised text, hashed.
 * Normalising drops what differs between two reports of one failure (case, spacing, numbers,
 * ids), so "CAPTCHA after 20 requests" and "captcha after 21 requests" are one lesson.
 *
 * @example
 *   const text = lessonLine({ activity: 'runSpecialist', type: 'provider_error', message: '503 from upstream' });
 *   const id = lessonId({ specialist: 'researcher', failureType: 'provider_error', text, offline: true });
 */
import { createHash } from 'node:crypto';

/** Longest lesson line kept; the message inside it is cut first. */
export const MAX_LESSON_CHARS = 240;

// C0/C1 controls and bidi overrides: a lesson is data shown to later prompts (src/memory/lessons.ts quotes it again).
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function flat(text: string): string {
  return text.replace(UNSAFE_CHARS, ' ').replace(/\s+/g, ' ').trim();
}

/** What the workflow knows of a failure (a FailureRecord's fields). */
export interface FailureFacts {
  activity: string;
  type: string;
  message: string;
}

/**
 * The imperative line a failure teaches. It names what failed and how, not the task: the task is
 * the lesson's evidence (its objective), so one failure mode met on many tasks stays one lesson.
 */
export function lessonLine(failure: FailureFacts): string {
  const head = `Avoid what ended in ${flat(failure.type) || 'a failure'} during ${flat(failure.activity) || 'the task'}: `;
  const message = flat(failure.message) || 'no message';
  const room = MAX_LESSON_CHARS - head.length - 2;
  // Escaped as inside a JSON string (quotes and backslashes), so the line stays one piece of data
  // when lessons.ts quotes it into a prompt; a message that ends a sentence gets no second stop.
  const body = JSON.stringify(message.length > room ? `${message.slice(0, room - 1)}…` : message).slice(1, -1);
  return `${head}${body}${/[.!?…]$/.test(body) ? '' : '.'}`;
}

const LINE_HEAD = /^Avoid what ended in .+? during .+?: /;

/**
 * The part of a lesson that tells it apart from others of its kind: the line without its fixed
 * head, which every lesson of one failure type shares and which would make any two look alike.
 * This is what near-duplicate detection embeds.
 */
export function lessonGist(text: string): string {
  return normaliseLesson(flat(text).replace(LINE_HEAD, ''));
}

/** Lower case, ids and numbers masked, punctuation and spacing collapsed. */
export function normaliseLesson(text: string): string {
  return flat(text)
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<id>')
    .replace(/\b[0-9a-f]{16,}\b/g, '<id>')
    .replace(/\d+(?:[.,]\d+)*/g, '#')
    .replace(/[^\p{L}\p{N}#<>_ -]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export interface LessonKeyParts {
  specialist: string;
  failureType: string;
  text: string;
  offline?: boolean;
}

/** The lesson's id: the same parts give the same id in every process and every backend. */
export function lessonId(parts: LessonKeyParts): string {
  const mode = parts.offline === undefined ? 'unknown' : parts.offline ? 'offline' : 'live';
  const hash = createHash('sha256').update([mode, parts.specialist, parts.failureType, normaliseLesson(parts.text)].join('\n'), 'utf8').digest('hex');
  return `lesson-${hash.slice(0, 32)}`;
}
