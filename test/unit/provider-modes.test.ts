import { PantheonError } from '../../src/errors';
import { describePlan, planProviders, type LlmMode, type ModelUser } from '../../src/llm/provider-modes';

const RESEARCH: ModelUser = {
  kind: 'specialist', name: 'ResearchAgent', provider: 'anthropic', model: 'claude-haiku-4-5',
  fallback: { provider: 'openai', model: 'gpt-4.1-mini' },
};
const REVIEW_NO_FALLBACK: ModelUser = { kind: 'specialist', name: 'CodeReviewAgent', provider: 'anthropic', model: 'claude-sonnet-4-6' };
const GENERALIST: ModelUser = {
  kind: 'specialist', name: 'Generalist', provider: 'openai', model: 'gpt-4o-mini',
  fallback: { provider: 'anthropic', model: 'claude-haiku-4-5' },
};
const ROUTER: ModelUser = { kind: 'system', name: 'router', provider: 'openai', model: 'gpt-4.1-nano', fallback: { provider: 'anthropic', model: 'claude-haiku-4-5' } };
const USERS = [RESEARCH, GENERALIST, ROUTER];

const KEYS = {
  none: { openai: false, anthropic: false },
  openai: { openai: true, anthropic: false },
  anthropic: { openai: false, anthropic: true },
  both: { openai: true, anthropic: true },
};

function refusal(fn: () => unknown): PantheonError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PantheonError);
    return err as PantheonError;
  }
  throw new Error('expected the plan to refuse, it did not');
}

describe('planProviders: each mode and key combination', () => {
  // [mode, keys, openai, anthropic, offline, remapped users]
  const table: [LlmMode, keyof typeof KEYS, string, string, boolean, string[]][] = [
    ['auto', 'none', 'offline', 'offline', true, []],
    ['auto', 'openai', 'live', 'disabled', false, ['ResearchAgent']],
    ['auto', 'anthropic', 'disabled', 'live', false, ['Generalist', 'router']],
    ['auto', 'both', 'live', 'live', false, []],
    ['offline', 'none', 'offline', 'offline', true, []],
    ['offline', 'openai', 'offline', 'offline', true, []],
    ['offline', 'anthropic', 'offline', 'offline', true, []],
    ['offline', 'both', 'offline', 'offline', true, []],
    ['live', 'openai', 'live', 'disabled', false, ['ResearchAgent']],
    ['live', 'anthropic', 'disabled', 'live', false, ['Generalist', 'router']],
    ['live', 'both', 'live', 'live', false, []],
  ];
  it.each(table)('mode %s with keys %s: openai %s, anthropic %s, offline %s, remaps %j', (mode, keys, openai, anthropic, offline, remapped) => {
    const plan = planProviders({ mode, keys: KEYS[keys], users: USERS });
    expect(plan.providers).toEqual({ openai, anthropic });
    expect(plan.offline).toBe(offline);
    expect(plan.remaps.map((r) => r.name)).toEqual(remapped);
  });

  it('remaps to the declared fallback model, keeping the name and kind', () => {
    const plan = planProviders({ mode: 'auto', keys: KEYS.openai, users: [RESEARCH] });
    expect(plan.remaps).toEqual([
      { kind: 'specialist', name: 'ResearchAgent', from: { provider: 'anthropic', model: 'claude-haiku-4-5' }, to: { provider: 'openai', model: 'gpt-4.1-mini' } },
    ]);
  });

  it('refuses live mode with no key at all, naming OPENAI_API_KEY and the specialist', () => {
    const err = refusal(() => planProviders({ mode: 'live', keys: KEYS.none, users: USERS }));
    expect(err.type).toBe('config_invalid');
    expect(err.message).toContain('OPENAI_API_KEY');
    expect(err.message).toContain('Generalist');
  });

  it.each(['auto', 'live'] as const)('in %s mode with only OPENAI_API_KEY, refuses a specialist without a fallback, naming ANTHROPIC_API_KEY and it', (mode) => {
    const err = refusal(() => planProviders({ mode, keys: KEYS.openai, users: [RESEARCH, REVIEW_NO_FALLBACK] }));
    expect(err.type).toBe('config_invalid');
    expect(err.message).toMatch(/^environment variable ANTHROPIC_API_KEY: /);
    expect(err.message).toContain('specialist CodeReviewAgent (claude-sonnet-4-6) needs ANTHROPIC_API_KEY');
    expect(err.message).not.toContain('ResearchAgent');
    expect(err.details).toMatchObject({ variable: 'ANTHROPIC_API_KEY', refused: [{ name: 'CodeReviewAgent', variable: 'ANTHROPIC_API_KEY' }] });
  });

  it('refuses a fallback that points at another keyless provider', () => {
    const err = refusal(() => planProviders({ mode: 'live', keys: KEYS.anthropic, users: [{ ...GENERALIST, fallback: { provider: 'openai', model: 'gpt-4.1' } }] }));
    expect(err.message).toContain('specialist Generalist (gpt-4o-mini) needs OPENAI_API_KEY');
  });

  it('names a system model it refuses as one', () => {
    const err = refusal(() => planProviders({ mode: 'auto', keys: KEYS.anthropic, users: [{ ...ROUTER, fallback: undefined }] }));
    expect(err.message).toContain('system model router (gpt-4.1-nano) needs OPENAI_API_KEY');
  });

  it('offline mode never refuses, even for models without a fallback', () => {
    expect(planProviders({ mode: 'offline', keys: KEYS.openai, users: [REVIEW_NO_FALLBACK] }).remaps).toEqual([]);
  });
});

describe('describePlan: the first log line', () => {
  it('states the mode and each provider, and no key', () => {
    const plan = planProviders({ mode: 'auto', keys: KEYS.openai, users: [RESEARCH] });
    const { fields, message } = describePlan(plan);
    expect(message).toBe('LLM mode auto: openai live, anthropic disabled; remapped: ResearchAgent anthropic/claude-haiku-4-5 -> openai/gpt-4.1-mini');
    expect(fields).toEqual({
      llmMode: 'auto', offline: false, providers: { openai: 'live', anthropic: 'disabled' },
      remaps: ['ResearchAgent anthropic/claude-haiku-4-5 -> openai/gpt-4.1-mini'],
    });
  });

  it('says when answers are offline', () => {
    expect(describePlan(planProviders({ mode: 'auto', keys: KEYS.none, users: USERS })).message).toMatch(/^LLM mode auto: openai offline, anthropic offline \(offline answers are marked/);
  });
});
