import type { ChatMessage } from '../types';
import { MEMORY_HEADING, TASK_HEADING } from '../../specialists/protocol';

/**
 * Reads a specialist conversation the way the offline provider needs to: which work items the task
 * has and how many steps are already done. All state lives in the messages themselves (assistant
 * JSON and progress summaries), which is what makes the provider stateless and deterministic.
 */

export interface TaskOutline {
  /** The first plain line of the task, used when the task has no work items. */
  title: string;
  items: string[];
}

export interface Progress {
  done: number;
  /** The total steps a progress summary declared, if any. */
  total?: number;
}

const ITEM = /^\s*(?:[-*]|\d+[.)])\s+(.*\S)\s*$/;
const CONTEXT_HEADING = 'CONTEXT';

/** A line of capitals such as CONTEXT or PROGRESS SUMMARY; bullets never qualify. */
function isHeading(line: string): boolean {
  const trimmed = line.trim();
  return /^[A-Z][A-Z0-9 _-]{2,}:?$/.test(trimmed) && /[A-Z]{3}/.test(trimmed);
}

function headingName(line: string): string {
  return line.trim().replace(/:$/, '');
}

/** Lines under the first occurrence of `heading`, up to the next heading. */
function section(lines: readonly string[], heading: string): string[] | undefined {
  const start = lines.findIndex((line) => isHeading(line) && headingName(line) === heading);
  if (start < 0) return undefined;
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (isHeading(line)) break;
    body.push(line);
  }
  return body;
}

function itemsOf(lines: readonly string[]): string[] {
  return lines.flatMap((line) => {
    const m = ITEM.exec(line);
    return m ? [m[1]] : [];
  });
}

/** The task outline from the first text holding a TASK heading; CONTEXT items count as work too. */
export function outlineFromText(text: string): TaskOutline | undefined {
  const lines = text.split(/\r?\n/);
  const task = section(lines, TASK_HEADING);
  if (!task) return undefined;
  const context = section(lines, CONTEXT_HEADING) ?? [];
  const title = task.find((line) => line.trim() !== '' && !ITEM.test(line))?.trim() ?? '';
  const items = [...itemsOf(task), ...itemsOf(context)];
  return { title: title || items[0] || '', items };
}

export function outlineTask(messages: readonly ChatMessage[]): TaskOutline | undefined {
  for (const message of messages) {
    if (message.role !== 'user') continue;
    const outline = outlineFromText(message.content);
    if (outline) return outline;
  }
  return undefined;
}

/** The memory lines the first user message with a TASK heading carried (its "> " lines under MEMORY_HEADING). */
export function memoryLines(messages: readonly ChatMessage[]): string[] {
  for (const message of messages) {
    if (message.role !== 'user') continue;
    const lines = message.content.split(/\r?\n/);
    if (!section(lines, TASK_HEADING)) continue;
    return (section(lines, MEMORY_HEADING) ?? []).flatMap((line) => (line.startsWith('> ') ? [line.slice(2)] : []));
  }
  return [];
}

export function totalSteps(outline: TaskOutline): number {
  return outline.items.length > 0 ? outline.items.length + 1 : 2;
}

const STEP_FIELD = /"step"\s*:\s*(\d+)/g;
const OF_FIELD = /"of"\s*:\s*(\d+)/g;
const COMPLETED = /completed step (\d+) of (\d+)/gi;

function numbers(text: string, pattern: RegExp): number[] {
  return [...text.matchAll(pattern)].map((m) => Number(m[1]));
}

function maxOf(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : Math.max(...values);
}

/** Progress of a live conversation: steps the assistant answered, or a summary carried forward. */
export function readProgress(messages: readonly ChatMessage[]): Progress {
  let done = 0;
  let total: number | undefined;
  for (const message of messages) {
    if (message.role === 'assistant') {
      done = Math.max(done, ...numbers(message.content, STEP_FIELD));
    } else {
      for (const m of message.content.matchAll(COMPLETED)) {
        done = Math.max(done, Number(m[1]));
        total = Math.max(total ?? 0, Number(m[2]));
      }
    }
  }
  return total === undefined ? { done } : { done, total };
}

/**
 * Progress described inside text (a history handed to the compressor), where the assistant's JSON
 * and any earlier summary are both quoted in user messages.
 */
export function readProgressInText(text: string): Progress {
  const completed = [...text.matchAll(COMPLETED)];
  const done = maxOf([...numbers(text, STEP_FIELD), ...completed.map((m) => Number(m[1]))]) ?? 0;
  const total = maxOf([...numbers(text, OF_FIELD), ...completed.map((m) => Number(m[2]))]);
  return total === undefined ? { done } : { done, total };
}

/** Balanced-brace scan from `start`, aware of JSON strings; returns the end index or -1. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return i;
  }
  return -1;
}

/** Notes of every step answer quoted in `text`, by step number (the last one quoted wins). */
export function stepNotesInText(text: string): Map<number, string> {
  const notes = new Map<number, string>();
  for (let start = text.indexOf('{'); start >= 0; start = text.indexOf('{', start + 1)) {
    const end = objectEnd(text, start);
    if (end < 0) continue;
    try {
      const value: unknown = JSON.parse(text.slice(start, end + 1));
      if (value && typeof value === 'object') {
        const { step, note } = value as { step?: unknown; note?: unknown };
        if (typeof step === 'number' && typeof note === 'string') notes.set(step, note);
      }
    } catch {
      // Not an answer object; keep scanning.
    }
  }
  return notes;
}
