import { existsSync } from 'node:fs';
import type { PantheonConfig } from '../config/env';
import { openMemoryStore } from '../memory/open-store';
import { taskRecordId } from '../memory/record';
import { openCliEmbedder } from './cli-embedder';

/**
 * Whether the record a task could not write when it ended (its `memoryPending`) is in the store
 * now: a backfill pass wrote it since. The task's state cannot change once it has ended, so
 * `pantheon status` asks the store (read-only, as `history` does). Undefined when this shell cannot
 * tell: the store is Qdrant's, or the embedded file is not here (another machine's worker).
 */
export async function pendingRecordWritten(config: PantheonConfig, pending: { input: { taskId: string; success: boolean } }): Promise<boolean | undefined> {
  if (config.memory.kind !== 'sqlite' || !existsSync(config.memory.file)) return undefined;
  try {
    const { embedder, close } = await openCliEmbedder(config, 'memory-status', { embeds: false });
    try {
      const store = await openMemoryStore(config.memory, embedder, { readOnly: true });
      try {
        return (await store.get(taskRecordId(pending.input.taskId, pending.input.success))) !== undefined;
      } finally {
        await store.close();
      }
    } finally {
      await close();
    }
  } catch {
    // Whatever keeps the store from being read here (another space, a lock), the task's own words stand.
    return undefined;
  }
}
