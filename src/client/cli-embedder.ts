import type { PantheonConfig } from '../config/env';
import { PantheonError } from '../errors';
import { offlineEmbedder } from '../memory/offline-embedder';
import type { EmbeddingBudget } from '../memory/openai-embedder';
import type { Embedder } from '../memory/types';

/**
 * The embedder PANTHEON_EMBEDDER names, for a CLI command that opens the memory store: a store
 * refuses any other embedder than the one it was built with, so a command opening it with the
 * default (hashing) fails on a store re-embedded with OpenAI.
 *
 * `embeds: false` for a command that only reads records (`history stats`): it needs no Temporal
 * server, and an embedding it asked for by mistake is refused. Otherwise OpenAI's embeddings are
 * paid through the budget ledger, charged to `owner`, so the command needs the Temporal server the
 * ledger runs on (the hashing embedder needs nothing).
 *
 * What only OpenAI's embedder needs (its SDK, the Temporal client and the ledger's gate, about
 * 0.8 s of CPU to load) is loaded only when it is named: `pantheon history` with the hashing
 * embedder loads none of it.
 */
export async function openCliEmbedder(config: PantheonConfig, owner: string, options: { embeds: boolean }): Promise<{ embedder: Embedder; close(): Promise<void> }> {
  // What openEmbedder gives for hashing, without loading the OpenAI side it imports.
  if (config.embedding.kind === 'hashing') return { embedder: offlineEmbedder(), close: async () => undefined };
  const { openEmbedder } = await import('../memory/open-embedder');
  if (!options.embeds) return { embedder: openEmbedder(config, refusingBudget(owner)), close: async () => undefined };
  const [{ connectClient }, { createBudgetGate }, { loadLimits }, { gateEmbeddingBudget }] = await Promise.all([
    import('./connection'),
    import('../budget/gate'),
    import('../budget/load-limits'),
    import('../memory/embedding-budget'),
  ]);
  const { client, close } = await connectClient(config);
  try {
    const gate = createBudgetGate({ client, taskQueue: config.temporal.budgetTaskQueue, limits: loadLimits(), ledgerId: config.budget.ledgerId });
    return { embedder: openEmbedder(config, gateEmbeddingBudget(gate, { taskId: owner })), close };
  } catch (err) {
    await close();
    throw err;
  }
}

function refusingBudget(owner: string): EmbeddingBudget {
  return {
    reserve: async () => {
      throw PantheonError.of('config_invalid', `${owner}: reads records only, and asked for an embedding no budget was opened for`);
    },
  };
}
