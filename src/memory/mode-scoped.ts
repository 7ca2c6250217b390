import type { MemoryStore } from './types';

/**
 * The memory a worker sees under its provider plan (src/llm/provider-modes.ts). An offline worker
 * marks every record it writes `offline: true`; a live worker marks its records `offline: false`
 * and recalls only those, so a canned answer never becomes a lesson a live run learns from.
 * Offline workers recall everything: the demo learns from its own outcomes.
 *
 * @example
 *   const memory = scopeMemoryToMode(await openMemoryStore(config.memory), plan.offline);
 */
export function scopeMemoryToMode(store: MemoryStore, offline: boolean): MemoryStore {
  return {
    put: (record) => store.put({ ...record, offline }),
    get: (id) => store.get(id),
    recall: (query) => store.recall(offline ? query : { ...query, offline: false }),
    count: (filter) => store.count(filter),
    list: (query) => store.list(query),
    close: () => store.close(),
    // Lessons carry the same mark: a lesson learned from canned answers never warns a live run.
    recordLesson: (input, options) => store.recordLesson({ ...input, offline }, options),
    recallLessons: (query) => store.recallLessons(offline ? query : { ...query, offline: false }),
    getLesson: (id) => store.getLesson(id),
    listLessons: (filter) => store.listLessons(filter),
    lessonEvidence: (id) => store.lessonEvidence(id),
    mergeLessons: (options) => store.mergeLessons(options),
    retireLesson: (id, reason, at) => store.retireLesson(id, reason, at),
    markLessonsHelped: (ids) => store.markLessonsHelped(ids),
  };
}
