import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Pantheon's custom search attributes: what an operator filters tasks by in the Web UI and with
 * `temporal workflow list --query`. They fit the dev server's SQLite visibility limits (at most 10
 * Keyword and 3 each of Int, Double, Bool, Datetime, Text, KeywordList per namespace); keep the
 * budget in `SEARCH_ATTRIBUTE_LIMITS` when adding one.
 */
export const TaskStatus = defineSearchAttributeKey('PantheonStatus', SearchAttributeType.KEYWORD);
export const TaskSpecialist = defineSearchAttributeKey('PantheonSpecialist', SearchAttributeType.KEYWORD);
export const TaskPriority = defineSearchAttributeKey('PantheonPriority', SearchAttributeType.KEYWORD);
export const TaskCostUsd = defineSearchAttributeKey('PantheonCostUsd', SearchAttributeType.DOUBLE);
export const TaskIterations = defineSearchAttributeKey('PantheonIterations', SearchAttributeType.INT);
export const TaskTokens = defineSearchAttributeKey('PantheonTokens', SearchAttributeType.INT);
/** Set by the stale-task sweeper: the task ran past its specialist's expected duration. */
export const TaskStale = defineSearchAttributeKey('PantheonStale', SearchAttributeType.BOOL);
/** On a redriven task: the id of the dead-lettered task it runs again. */
export const TaskRedriveOf = defineSearchAttributeKey('PantheonRedriveOf', SearchAttributeType.KEYWORD);

/** The root of the task's tree of spawned tasks (its own id for a submitted task): lists a whole tree. */
export const TaskRootTask = defineSearchAttributeKey('PantheonRootTask', SearchAttributeType.KEYWORD);

/**
 * The instant the stale-task sweeper measures the current specialist run from: the run's start (or
 * its requeue), moved later by the time it has since spent waiting for budget. Before the first
 * run, the task's start, moved the same way.
 */
export const TaskActiveSince = defineSearchAttributeKey('PantheonActiveSince', SearchAttributeType.DATETIME);

/**
 * Set on a task whose memory record could not be written when it ended (the store was down after
 * its retries): the task ended anyway, its record waits in its outcome's `memoryPending` until
 * `backfillMemory` writes it (src/activities/backfill-memory.ts).
 */
export const TaskMemoryPending = defineSearchAttributeKey('PantheonMemoryPending', SearchAttributeType.BOOL);

/** The routing policy version that chose the task's specialist (0: the roster's rules, no God
 * running): `temporal workflow list --query 'PantheonPolicyVersion = 3'`. */
export const TaskPolicyVersion = defineSearchAttributeKey('PantheonPolicyVersion', SearchAttributeType.INT);

export const ALL_SEARCH_ATTRIBUTES = [TaskStatus, TaskSpecialist, TaskPriority, TaskCostUsd, TaskIterations, TaskTokens, TaskStale, TaskRedriveOf, TaskRootTask, TaskActiveSince, TaskMemoryPending, TaskPolicyVersion];

/** The server-side type names the Temporal CLI and operator service use. */
export const SEARCH_ATTRIBUTE_CLI_TYPES: Record<SearchAttributeType, string> = {
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

/** The SQLite visibility store's per-namespace limits (see DESIGN.md). */
export const SEARCH_ATTRIBUTE_LIMITS: Record<SearchAttributeType, number> = {
  [SearchAttributeType.TEXT]: 3,
  [SearchAttributeType.KEYWORD]: 10,
  [SearchAttributeType.INT]: 3,
  [SearchAttributeType.DOUBLE]: 3,
  [SearchAttributeType.BOOL]: 3,
  [SearchAttributeType.DATETIME]: 3,
  [SearchAttributeType.KEYWORD_LIST]: 3,
};
