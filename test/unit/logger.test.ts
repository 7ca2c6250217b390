import { loadConfig } from '../../src/config/env';
import { REDACT_PATHS, createLogger, maskSecret } from '../../src/logging/logger';

const SECRET = 'sk-proj-9f8e7d6c5b4a3f2e1d0c';
const REDACTED = '[redacted]';

/** A logger writing JSON lines into an array, and a way to read them back. */
function capture(level = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, name: 'test', destination: { write: (line: string) => void lines.push(line) } });
  return {
    logger,
    lines,
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    last: () => JSON.parse(lines[lines.length - 1]) as Record<string, any>,
  };
}

describe('createLogger with a destination', () => {
  it('writes one JSON line per record, with name, level and message', () => {
    const { logger, records } = capture();
    logger.info({ taskId: 'wf-1' }, 'task routed');
    expect(records()).toHaveLength(1);
    expect(records()[0]).toMatchObject({ name: 'test', level: 30, msg: 'task routed', taskId: 'wf-1' });
  });

  it('honours the level', () => {
    const { logger, lines } = capture('warn');
    logger.info('hidden');
    logger.debug('hidden');
    logger.warn('shown');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]).msg).toBe('shown');
  });

  it('redacts apiKey, authorization and OPENAI_API_KEY at the top level', () => {
    const { logger, last, lines } = capture();
    logger.info({ apiKey: SECRET, authorization: `Bearer ${SECRET}`, OPENAI_API_KEY: SECRET, model: 'gpt-4.1' }, 'calling');
    expect(last()).toMatchObject({ apiKey: REDACTED, authorization: REDACTED, OPENAI_API_KEY: REDACTED, model: 'gpt-4.1', msg: 'calling' });
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('redacts the other named credentials at the top level', () => {
    const { logger, last, lines } = capture();
    logger.info({ ANTHROPIC_API_KEY: SECRET, QDRANT_API_KEY: SECRET, password: SECRET, token: SECRET, secret: SECRET });
    expect(last()).toMatchObject({
      ANTHROPIC_API_KEY: REDACTED,
      QDRANT_API_KEY: REDACTED,
      password: REDACTED,
      token: REDACTED,
      secret: REDACTED,
    });
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('redacts apiKey nested one and two levels deep', () => {
    const { logger, last, lines } = capture();
    logger.info({ openai: { apiKey: SECRET, baseURL: 'https://api.openai.com/v1' }, llm: { anthropic: { apiKey: SECRET, timeoutMs: 5 } } });
    expect(last().openai).toEqual({ apiKey: REDACTED, baseURL: 'https://api.openai.com/v1' });
    expect(last().llm).toEqual({ anthropic: { apiKey: REDACTED, timeoutMs: 5 } });
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('redacts nested authorization, OPENAI_API_KEY and request headers', () => {
    const { logger, last, lines } = capture();
    logger.info({
      env: { OPENAI_API_KEY: SECRET, LOG_LEVEL: 'info' },
      auth: { authorization: `Bearer ${SECRET}` },
      headers: { authorization: `Bearer ${SECRET}`, accept: 'application/json' },
      request: { headers: { authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET, 'content-type': 'application/json' } },
    });
    expect(last().env).toEqual({ OPENAI_API_KEY: REDACTED, LOG_LEVEL: 'info' });
    expect(last().auth).toEqual({ authorization: REDACTED });
    expect(last().headers).toEqual({ authorization: REDACTED, accept: 'application/json' });
    expect(last().request).toEqual({ headers: { authorization: REDACTED, 'x-api-key': REDACTED, 'content-type': 'application/json' } });
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('redacts every key of a logged configuration', () => {
    const { logger, last, lines } = capture();
    const config = loadConfig({
      OPENAI_API_KEY: SECRET,
      ANTHROPIC_API_KEY: `${SECRET}-ant`,
      PANTHEON_MEMORY: 'qdrant',
      QDRANT_URL: 'http://qdrant:6333',
      QDRANT_API_KEY: `${SECRET}-qd`,
      PANTHEON_LOG_FORMAT: 'json',
    });
    logger.info(config, 'configuration');
    expect(last().llm.openai.apiKey).toBe(REDACTED);
    expect(last().llm.anthropic.apiKey).toBe(REDACTED);
    expect(last().memory).toEqual({ kind: 'qdrant', url: 'http://qdrant:6333', apiKey: REDACTED });
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('redacts credentials bound to a child logger', () => {
    const { logger, last, lines } = capture();
    logger.child({ apiKey: SECRET, agent: 'DatabaseAgent' }).info('step');
    expect(last()).toMatchObject({ apiKey: REDACTED, agent: 'DatabaseAgent', msg: 'step' });
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('leaves the logged object itself untouched', () => {
    const { logger } = capture();
    const fields = { apiKey: SECRET, nested: { apiKey: SECRET } };
    logger.info(fields);
    expect(fields).toEqual({ apiKey: SECRET, nested: { apiKey: SECRET } });
  });

  it('covers the credential names it promises', () => {
    for (const p of ['apiKey', '*.apiKey', '*.*.apiKey', 'authorization', '*.authorization', 'OPENAI_API_KEY', '*.OPENAI_API_KEY']) {
      expect(REDACT_PATHS).toContain(p);
    }
  });
});

describe('maskSecret', () => {
  it('says a missing secret is unset', () => {
    expect(maskSecret(undefined)).toBe('(unset)');
    expect(maskSecret('')).toBe('(unset)');
  });

  it('hides a short secret entirely', () => {
    expect(maskSecret('a')).toBe('****');
    expect(maskSecret('12345678')).toBe('****');
  });

  it('shows the first three and last two characters of a long secret', () => {
    expect(maskSecret('123456789')).toBe('123…89');
    expect(maskSecret(SECRET)).toBe('sk-…0c');
  });

  it('never reveals more than 5 characters, whatever the length', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    for (let length = 1; length <= alphabet.length; length++) {
      const secret = alphabet.slice(0, length);
      const masked = maskSecret(secret);
      const revealed = [...masked].filter((c) => alphabet.includes(c));
      expect({ length, revealed: revealed.length <= 5 }).toEqual({ length, revealed: true });
      // What is shown is only the secret's own prefix and suffix.
      if (length > 8) {
        expect(masked).toBe(`${secret.slice(0, 3)}…${secret.slice(-2)}`);
        expect(masked).not.toContain(secret.slice(3, -2));
      } else {
        expect(masked).toBe('****');
      }
    }
  });
});

describe('redaction reaches deeper secrets and capitalised headers', () => {
  it('redacts an apiKey four levels down and Authorization headers in either case', () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (s: string) => lines.push(s) } });
    logger.info(
      { ctx: { config: { llm: { apiKey: 'sk-deep-secret' } } }, wrapper: { request: { headers: { authorization: 'Bearer aaa' } } }, req: { headers: { Authorization: 'Bearer bbb' } } },
      'nested',
    );
    const line = lines.join('');
    expect(line).not.toMatch(/sk-deep-secret|Bearer aaa|Bearer bbb/);
    expect(line.match(/\[redacted\]/g)).toHaveLength(3);
  });
});
