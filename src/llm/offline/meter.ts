/**
 * How the offline provider meters the tokens it bills: UTF-8 bytes / 4, rounded up per text, plus
 * framing per message. Deliberately not Pantheon's tokenizer (src/llm/tokens.ts): the budget
 * reserves with that, and a provider that billed with the same counter could never show a test an
 * under-reservation. Four bytes a token is the vendors' own rule of thumb for English; over
 * Pantheon's real prompts it lands within about 10 % of o200k_base either way.
 */

const BYTES_PER_TOKEN = 4;
const MESSAGE_OVERHEAD = 4;
const REPLY_PRIMING = 3;

export function meteredTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / BYTES_PER_TOKEN);
}

/** Input tokens of a request: system text plus every message with its framing. */
export function meteredPromptTokens(system: string, messages: ReadonlyArray<{ content: string }>): number {
  let total = REPLY_PRIMING + (system ? meteredTokens(system) + MESSAGE_OVERHEAD : 0);
  for (const message of messages) total += meteredTokens(message.content) + MESSAGE_OVERHEAD;
  return total;
}
