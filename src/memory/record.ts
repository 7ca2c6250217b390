/**
 * Validation shared by every backend, so SQLite and Qdrant accept, reject and decode the same
 * records and queries the same way.
 */
import { z } from 'zod';
import { PantheonError } from '../errors';
import type { ListQuery, MemoryRecord, RecallQuery } from './types';

const LIMIT_MAX = 100;

export const memoryRecordSchema = z.object({
  id: z.string().min(1).max(512),
  taskId: z.string().min(1),
  specialist: z.string().min(1),
  objective: z.string(),
  approach: z.string(),
  result: z.string(),
  success: z.boolean(),
  costUsd: z.number().nonnegative(),
  lessons: z.array(z.string()),
  createdAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO date-time'),
  offline: z.boolean().optional(),
  failureType: z.string().min(1).max(200).optional(),
  routeMethod: z.string().min(1).max(100).optional(),
  policyVersion: z.string().min(1).max(100).optional(),
  iterations: z.number().int().nonnegative().optional(),
  tokens: z.number().int().nonnegative().optional(),
  durationMs: z.number().nonnegative().optional(),
  kind: z.string().min(1).max(80).optional(),
});

const recallQuerySchema = z.object({
  text: z.string().refine((s) => s.trim().length > 0, 'must not be empty'),
  limit: z.number().int().min(1).max(LIMIT_MAX).default(5),
  specialist: z.string().min(1).optional(),
  success: z.boolean().optional(),
  offline: z.boolean().optional(),
  minScore: z.number().min(-1).max(1).default(0),
  hybrid: z.boolean().optional(),
});

const listQuerySchema = z.object({
  since: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO date-time').optional(),
  limit: z.number().int().min(1).max(100_000).default(10_000),
});

export type NormalisedListQuery = z.output<typeof listQuerySchema>;

export function validateListQuery(query: ListQuery = {}): NormalisedListQuery {
  const parsed = listQuerySchema.safeParse(query);
  if (!parsed.success) throw PantheonError.of('invalid_input', `invalid list query: ${z.prettifyError(parsed.error)}`);
  // One form, so a string comparison (SQLite) and a datetime range (Qdrant) agree.
  return { ...parsed.data, ...(parsed.data.since !== undefined && { since: new Date(parsed.data.since).toISOString() }) };
}

export type NormalisedRecallQuery = z.output<typeof recallQuerySchema>;

/** A record about to be written; a bad one is the caller's fault, so `invalid_input`. */
export function validateRecord(record: MemoryRecord): MemoryRecord {
  const parsed = memoryRecordSchema.safeParse(record);
  if (!parsed.success) {
    throw PantheonError.of('invalid_input', `invalid memory record: ${z.prettifyError(parsed.error)}`, {
      details: { id: typeof record?.id === 'string' ? record.id : undefined },
    });
  }
  return parsed.data;
}

export function validateRecallQuery(query: RecallQuery): NormalisedRecallQuery {
  const parsed = recallQuerySchema.safeParse(query);
  if (!parsed.success) {
    throw PantheonError.of('invalid_input', `invalid recall query: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * A record read back from a backend. Shared stores can be written by other (older, buggy) processes,
 * so the shape is checked rather than trusted.
 */
export function decodeStoredRecord(value: unknown, where: string): MemoryRecord {
  const parsed = memoryRecordSchema.safeParse(value);
  if (!parsed.success) {
    throw PantheonError.of('store_corrupt', `malformed memory record in ${where}: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * The text a record is embedded (and keyword-indexed) by. Only the objective: recall asks "have we
 * seen a task like this one?", and the objective is what every task has and every record keeps.
 */
/** A task's record id: one for its success, one for its failure (a reset task that then completes keeps both). */
export function taskRecordId(taskId: string, success: boolean): string {
  return `${taskId}:${success ? 'outcome' : 'failure'}`;
}

export function embeddingText(record: Pick<MemoryRecord, 'objective'>): string {
  return record.objective;
}

/**
 * The text a new task recalls by: the same function as {@link embeddingText}, so query and records
 * are compared like for like. A task's context is not added: records keep no context, and a long
 * context would drown the objective's words in the query's vector and dilute its keyword coverage.
 */
export function recallText(task: { objective: string }): string {
  return embeddingText(task);
}
