import { countPromptTokens, countTokens } from '../../src/llm/tokens';

describe('countTokens', () => {
  it('counts nothing for empty or blank text', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('   \n\t ')).toBe(0);
  });

  it('counts one token per four characters of a word, rounding up', () => {
    expect(countTokens('abc')).toBe(1);
    expect(countTokens('abcd')).toBe(1);
    expect(countTokens('abcde')).toBe(2);
    expect(countTokens('internationalisation')).toBe(5);
    expect(countTokens('hello world')).toBe(4);
  });

  it('counts digit runs separately from letters', () => {
    expect(countTokens('12345')).toBe(2);
    expect(countTokens('abc123')).toBe(2);
    expect(countTokens('v2')).toBe(2);
  });

  it('counts every punctuation mark and non-ASCII character as one token', () => {
    expect(countTokens('a,b.')).toBe(4);
    expect(countTokens('{"step":1}')).toBe(7);
    expect(countTokens('café')).toBe(2);
    expect(countTokens('—')).toBe(1);
  });

  it('is additive across whitespace-separated parts', () => {
    const a = 'CREATE TABLE users (id BIGSERIAL PRIMARY KEY);';
    const b = 'Queries filter on email.';
    expect(countTokens(`${a} ${b}`)).toBe(countTokens(a) + countTokens(b));
  });
});

describe('countPromptTokens', () => {
  it('charges reply priming even for an empty prompt', () => {
    expect(countPromptTokens('', [])).toBe(3);
  });

  it('adds four tokens of framing for the system prompt and each message', () => {
    expect(countPromptTokens('sys', [])).toBe(3 + 1 + 4);
    expect(countPromptTokens('', [{ content: 'hello' }])).toBe(3 + 2 + 4);
    expect(countPromptTokens('sys', [{ content: 'hello' }, { content: '' }])).toBe(3 + 5 + 6 + 4);
  });

  it('grows by exactly the message tokens plus framing per message', () => {
    const messages = [{ content: 'TASK\n- one\n- two' }];
    const before = countPromptTokens('You are a specialist.', messages);
    const after = countPromptTokens('You are a specialist.', [...messages, { content: '{"step":1}' }]);
    expect(after - before).toBe(countTokens('{"step":1}') + 4);
  });
});
