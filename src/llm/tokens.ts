import type { countTokens as CountO200k } from 'gpt-tokenizer';
import type { ProviderName } from './types';

/**
 * Token counts Pantheon reserves with (src/budget/estimate.ts) and reports prompt sizes in.
 *
 * OpenAI models are counted with their own BPE: o200k_base (gpt-4o, gpt-4.1 and later), from the
 * `gpt-tokenizer` package, whose ranks ship inside the package: nothing is fetched at run time.
 *
 * Anthropic publishes no offline tokenizer (its count-tokens endpoint is the only exact count and
 * needs a live key). Claude's tokenizers split text finer than o200k_base: comparisons commonly
 * report 10–35 % more tokens for the same English or code. So a prompt for a Claude model is
 * reserved at {@link ANTHROPIC_TOKEN_FACTOR} × its o200k_base count, rounded up: a deliberately
 * generous bound, because under-reserving is what breaks a limit, over-reserving only delays.
 *
 * Chat framing is charged per message as OpenAI documents it (a few tokens per message plus the
 * reply priming), rounded up.
 */

export const ANTHROPIC_TOKEN_FACTOR = 1.5;
const MESSAGE_OVERHEAD = 4;
const REPLY_PRIMING = 3;
// Text is data here: "<|endoftext|>" in a user's message is counted as plain text, never refused.
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Counts of recent long texts. A specialist's system prompt, its task message and each turn of
 * its history are counted again for every call (once to reserve, once to report the prompt size);
 * BPE was the largest item of Pantheon's own on the worker's main thread in the bench's CPU
 * profile (~6 ms a task before this memo, ~2 after), where it delays every other task's
 * activations. Short texts are cheaper to count than to look up.
 */
const MEMO_MIN_LENGTH = 256;
const MEMO_MAX_ENTRIES = 512;
const memo = new Map<string, number>();

/**
 * The tokenizer, loaded on the first count: its ranks take ~0.3 s of CPU to load, which every CLI
 * start that imports the roster paid whether it counted or not (`pantheon list`, most of
 * `pantheon budget`, a `submit` refused on its flags).
 */
let o200k: typeof CountO200k | undefined;
function countO200k(text: string, options: Parameters<typeof CountO200k>[1]): number {
  o200k ??= (require('gpt-tokenizer') as typeof import('gpt-tokenizer')).countTokens;
  return o200k(text, options);
}

/** o200k_base tokens of one text. */
export function countTokens(text: string): number {
  if (text === '') return 0;
  if (text.length < MEMO_MIN_LENGTH) return countO200k(text, AS_PLAIN_TEXT);
  const known = memo.get(text);
  if (known !== undefined) {
    // Least recently used goes first: move a hit to the end.
    memo.delete(text);
    memo.set(text, known);
    return known;
  }
  const counted = countO200k(text, AS_PLAIN_TEXT);
  if (memo.size >= MEMO_MAX_ENTRIES) memo.delete(memo.keys().next().value as string);
  memo.set(text, counted);
  return counted;
}

/** How many texts the count memo holds (for its tests). */
export function memoizedTextCount(): number {
  return memo.size;
}

/**
 * Tokens of a whole prompt: system text plus every message with its framing, for the provider
 * that will read it (OpenAI unless told otherwise).
 */
export function countPromptTokens(system: string, messages: ReadonlyArray<{ content: string }>, provider: ProviderName = 'openai'): number {
  let total = REPLY_PRIMING + (system ? countTokens(system) + MESSAGE_OVERHEAD : 0);
  for (const message of messages) total += countTokens(message.content) + MESSAGE_OVERHEAD;
  return provider === 'anthropic' ? Math.ceil(total * ANTHROPIC_TOKEN_FACTOR) : total;
}
