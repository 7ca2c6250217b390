import type { CallRecord } from '../../src/llm/offline';
import { costOf } from '../../src/llm/pricing';

/**
 * What the provider billed, recomputed from its own call log (the usage it reported) with the
 * pinned prices: the independent side every ledger figure is checked against.
 */
export function billed(calls: CallRecord[]): number {
  return calls.reduce((usd, c) => usd + costOf(c.model, { inputTokens: c.inputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: c.outputTokens }), 0);
}
