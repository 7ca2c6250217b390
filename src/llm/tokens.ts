/**
 * A deterministic token counter shared by the offline provider (to report honest usage) and the
 * budget (to reserve a worst case before a call). It approximates BPE tokenisers: words count one
 * token per four characters, every punctuation mark counts one, and each message has framing.
 */

const PIECE = /[A-Za-z]+|\d+|[^\sA-Za-z\d]/g;
const MESSAGE_OVERHEAD = 4;
const REPLY_PRIMING = 3;

export function countTokens(text: string): number {
  let tokens = 0;
  for (const match of text.matchAll(PIECE)) {
    const piece = match[0];
    tokens += /^[A-Za-z\d]/.test(piece) ? Math.ceil(piece.length / 4) : 1;
  }
  return tokens;
}

/** Tokens of a whole prompt: system text plus every message with its framing. */
export function countPromptTokens(system: string, messages: ReadonlyArray<{ content: string }>): number {
  let total = REPLY_PRIMING + (system ? countTokens(system) + MESSAGE_OVERHEAD : 0);
  for (const message of messages) total += countTokens(message.content) + MESSAGE_OVERHEAD;
  return total;
}
