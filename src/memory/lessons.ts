/**
 * Turns recalled memories into short lines for a specialist's prompt. Recalled text was written by
 * earlier runs (and, through them, by whatever they read), so it is data, never instructions: every
 * excerpt is flattened to one line, stripped of control and bidi characters, and JSON-quoted, and
 * each line starts with a fixed label saying where it came from.
 */
import type { MemoryHit } from './types';

export const WARNING_PREFIX = '[memory: past failure]';
export const HINT_PREFIX = '[memory: worked before]';
export const MAX_LINE_CHARS = 300;

// C0/C1 controls and Unicode bidi overrides/isolates, which could hide or reorder text.
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function flatten(text: string): string {
  return text.replace(UNSAFE_CHARS, ' ').replace(/\s+/g, ' ').trim();
}

/** A flattened, truncated, JSON-quoted excerpt: quotes inside cannot close the quotation. */
export function quote(text: string, max: number): string {
  const flat = flatten(text);
  return JSON.stringify(flat.length > max ? `${flat.slice(0, max - 1)}…` : flat);
}

/** Specialist names are identifiers; anything else is replaced rather than echoed. */
export function name(specialist: string): string {
  return specialist.replace(/[^\w.-]/g, '_').slice(0, 40) || 'unknown';
}

function day(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 'an unknown date' : new Date(t).toISOString().slice(0, 10);
}

function clip(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS - 1)}…` : line;
}

/**
 * Appends ` <label> "<text>".` to a complete sentence using whatever room the line has left, so a
 * long line ends with a whole (truncated) quotation rather than one cut in half.
 */
function withTail(sentence: string, label: string, text: string): string {
  const room = MAX_LINE_CHARS - sentence.length - ` ${label} "".`.length;
  return clip(text && room >= 20 ? `${sentence} ${label} ${quote(text, room)}.` : sentence);
}

function warning({ record, score }: MemoryHit): string {
  const sentence =
    `${WARNING_PREFIX} (similarity ${score.toFixed(2)}) On ${day(record.createdAt)} ${name(record.specialist)} ` +
    `failed at a similar task (${quote(record.objective, 70)}): ${quote(record.result, 90)}.`;
  return withTail(sentence, 'Lessons:', record.lessons.map(flatten).filter((l) => l.length > 0).join('; '));
}

function hint({ record, score }: MemoryHit): string {
  const sentence =
    `${HINT_PREFIX} (similarity ${score.toFixed(2)}) On ${day(record.createdAt)} ${name(record.specialist)} ` +
    `succeeded at a similar task (${quote(record.objective, 70)}).`;
  return withTail(sentence, 'Approach:', flatten(record.approach));
}

/** Failures first (they are what the next run must avoid), each group in the given (score) order. */
export function formatWarnings(hits: MemoryHit[]): string[] {
  return [
    ...hits.filter((h) => !h.record.success).map(warning),
    ...hits.filter((h) => h.record.success).map(hint),
  ];
}
