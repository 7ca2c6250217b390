import { countTokens as countO200kDirect } from 'gpt-tokenizer';
import { ANTHROPIC_TOKEN_FACTOR, countPromptTokens, countTokens, memoizedTextCount } from '../../src/llm/tokens';
import { meteredPromptTokens, meteredTokens } from '../../src/llm/offline/meter';

// Expected counts are o200k_base's, taken from a second implementation (js-tiktoken 1.0.21 with
// its bundled o200k_base ranks), not from the package under test.
describe('countTokens (o200k_base)', () => {
  it('counts nothing for empty text', () => {
    expect(countTokens('')).toBe(0);
  });

  it('counts what OpenAI\'s tokenizer counts: common words are one token however long', () => {
    expect(countTokens('hello world')).toBe(2);
    expect(countTokens('internationalisation')).toBe(2);
    expect(countTokens('Add an index on orders.created_at')).toBe(7);
    expect(countTokens('CREATE TABLE users (id BIGSERIAL PRIMARY KEY);')).toBe(11);
  });

  it('counts JSON and non-ASCII text', () => {
    expect(countTokens('{"step":1}')).toBe(5);
    expect(countTokens('café')).toBe(2);
    expect(countTokens('—')).toBe(1);
  });

  it('counts a special-token string in user text as plain text instead of refusing it', () => {
    expect(countTokens('<|endoftext|>')).toBe(7);
  });
});

describe('countTokens on long texts (remembered)', () => {
  const longText = (i: number, tail = '') => `Prompt ${i}: ${'Add an index on orders.created_at and report the plan. '.repeat(8)}${tail}`;
  const direct = (text: string) => countO200kDirect(text, { disallowedSpecial: new Set() });

  it('answers a repeated text with the tokenizer\'s count, and a text that differs only at its end with its own', () => {
    const a = longText(1);
    const b = longText(1, ' One more sentence at the end.');
    expect(countTokens(a)).toBe(direct(a));
    expect(countTokens(a)).toBe(direct(a));
    expect(countTokens(b)).toBe(direct(b));
    expect(countTokens(b)).toBeGreaterThan(countTokens(a));
  });

  it('holds at most 512 texts, and counts an evicted text again correctly', () => {
    for (let i = 0; i < 700; i++) countTokens(longText(i));
    expect(memoizedTextCount()).toBe(512);
    expect(countTokens(longText(0))).toBe(direct(longText(0)));
    expect(memoizedTextCount()).toBe(512);
  });
});

describe('countPromptTokens', () => {
  it('charges reply priming even for an empty prompt', () => {
    expect(countPromptTokens('', [])).toBe(3);
  });

  it('adds four tokens of framing for the system prompt and each message', () => {
    expect(countPromptTokens('sys', [])).toBe(3 + 1 + 4);
    expect(countPromptTokens('', [{ content: 'hello' }])).toBe(3 + 1 + 4);
    expect(countPromptTokens('sys', [{ content: 'hello' }, { content: '' }])).toBe(3 + 5 + 5 + 4);
  });

  it('grows by exactly the message tokens plus framing per message', () => {
    const messages = [{ content: 'TASK\n- one\n- two' }];
    const before = countPromptTokens('You are a specialist.', messages);
    expect(before).toBe(3 + 5 + 4 + 7 + 4);
    const after = countPromptTokens('You are a specialist.', [...messages, { content: '{"step":1}' }]);
    expect(after - before).toBe(5 + 4);
  });

  it('bounds a Claude prompt by the documented factor over the o200k_base count, rounded up', () => {
    expect(ANTHROPIC_TOKEN_FACTOR).toBe(1.5);
    expect(countPromptTokens('You are a specialist.', [{ content: 'TASK\n- one\n- two' }], 'anthropic')).toBe(Math.ceil(23 * 1.5));
    expect(countPromptTokens('', [], 'anthropic')).toBe(5);
  });
});

describe('the offline provider meter (independent of the tokenizer)', () => {
  it('bills four UTF-8 bytes a token, rounded up per text', () => {
    expect(meteredTokens('')).toBe(0);
    expect(meteredTokens('abcd')).toBe(1);
    expect(meteredTokens('abcde')).toBe(2);
    expect(meteredTokens('internationalisation')).toBe(5);
    expect(meteredTokens('café')).toBe(2);
  });

  it('adds the same framing per message as a chat prompt', () => {
    expect(meteredPromptTokens('', [])).toBe(3);
    expect(meteredPromptTokens('sys', [{ content: 'hello' }])).toBe(3 + 1 + 4 + 2 + 4);
  });
});
