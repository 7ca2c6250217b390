import { meteredTokens } from './meter';

/**
 * Cuts text to at most `maxTokens` as the provider meters it. A real model stops at max_tokens, and
 * the budget reserves exactly that worst case, so reporting more output than allowed would be a lie
 * the budget could never catch.
 */
export function fitToTokens(text: string, maxTokens: number): { text: string; truncated: boolean } {
  if (meteredTokens(text) <= maxTokens) return { text, truncated: false };
  // meteredTokens grows monotonically with the prefix length, so a binary search finds the cut.
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (meteredTokens(text.slice(0, mid)) <= maxTokens) lo = mid;
    else hi = mid - 1;
  }
  return { text: text.slice(0, lo), truncated: true };
}
