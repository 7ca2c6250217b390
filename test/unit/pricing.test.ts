import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PantheonError } from '../../src/errors';
import pricesFile from '../../src/llm/prices.json';
import { PRICES, costOf, priceOf, providerOf, worstCaseCostOf, type PriceTable } from '../../src/llm/pricing';
import type { Usage } from '../../src/llm/types';
import { fromAnthropicUsage, fromOpenAiUsage, totalTokens } from '../../src/llm/usage';
import { createPrng } from '../../src/llm/offline/prng';

const AGENTS_DIR = path.join(__dirname, '..', '..', 'agents');

function usage(partial: Partial<Usage>): Usage {
  return { inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, ...partial };
}

function caught(fn: () => unknown): PantheonError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PantheonError);
    return err as PantheonError;
  }
  throw new Error('expected a PantheonError, nothing was thrown');
}

/** Seeded, so the property checks are reproducible. */
const prng = createPrng;

describe('fromOpenAiUsage', () => {
  it('splits cached tokens out of prompt_tokens', () => {
    expect(
      fromOpenAiUsage({ prompt_tokens: 10_000, completion_tokens: 2_000, prompt_tokens_details: { cached_tokens: 4_000 } }, 'gpt-4.1-mini'),
    ).toEqual({ inputTokens: 6_000, cachedInputTokens: 4_000, cacheWriteTokens: 0, outputTokens: 2_000 });
  });

  it('treats absent or null cache details as no cached tokens', () => {
    const expected = { inputTokens: 1_200, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 300 };
    expect(fromOpenAiUsage({ prompt_tokens: 1_200, completion_tokens: 300 }, 'gpt-4.1')).toEqual(expected);
    expect(fromOpenAiUsage({ prompt_tokens: 1_200, completion_tokens: 300, prompt_tokens_details: null }, 'gpt-4.1')).toEqual(expected);
    expect(
      fromOpenAiUsage({ prompt_tokens: 1_200, completion_tokens: 300, prompt_tokens_details: { cached_tokens: null } }, 'gpt-4.1'),
    ).toEqual(expected);
  });

  it('fails closed with missing_usage when the usage block is absent', () => {
    for (const block of [undefined, null]) {
      const err = caught(() => fromOpenAiUsage(block, 'gpt-4.1'));
      expect(err.type).toBe('missing_usage');
      expect(err.retryable).toBe(false);
      expect(err.details).toEqual({ provider: 'openai', model: 'gpt-4.1' });
      expect(err.message).toBe('openai answered without usage for model "gpt-4.1"');
    }
  });

  it('fails closed with missing_usage when a count is missing', () => {
    expect(caught(() => fromOpenAiUsage({ completion_tokens: 10 }, 'gpt-4.1')).type).toBe('missing_usage');
    expect(caught(() => fromOpenAiUsage({ prompt_tokens: 10 }, 'gpt-4.1')).type).toBe('missing_usage');
    expect(caught(() => fromOpenAiUsage({}, 'gpt-4.1')).type).toBe('missing_usage');
  });
});

describe('fromAnthropicUsage', () => {
  it('keeps input_tokens as uncached input and maps cache reads and writes separately', () => {
    expect(
      fromAnthropicUsage(
        { input_tokens: 1_000, output_tokens: 800, cache_read_input_tokens: 20_000, cache_creation_input_tokens: 5_000 },
        'claude-sonnet-4-6',
      ),
    ).toEqual({ inputTokens: 1_000, cachedInputTokens: 20_000, cacheWriteTokens: 5_000, outputTokens: 800 });
  });

  it('treats absent or null cache counts as zero', () => {
    const expected = { inputTokens: 50, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 7 };
    expect(fromAnthropicUsage({ input_tokens: 50, output_tokens: 7 }, 'claude-haiku-4-5')).toEqual(expected);
    expect(
      fromAnthropicUsage({ input_tokens: 50, output_tokens: 7, cache_read_input_tokens: null, cache_creation_input_tokens: null }, 'claude-haiku-4-5'),
    ).toEqual(expected);
  });

  it('fails closed with missing_usage when usage or a count is missing', () => {
    const err = caught(() => fromAnthropicUsage(undefined, 'claude-haiku-4-5'));
    expect(err.type).toBe('missing_usage');
    expect(err.details).toEqual({ provider: 'anthropic', model: 'claude-haiku-4-5' });
    expect(err.message).toBe('anthropic answered without usage for model "claude-haiku-4-5"');
    expect(caught(() => fromAnthropicUsage(null, 'claude-haiku-4-5')).type).toBe('missing_usage');
    expect(caught(() => fromAnthropicUsage({ input_tokens: 5 }, 'claude-haiku-4-5')).type).toBe('missing_usage');
    expect(caught(() => fromAnthropicUsage({ output_tokens: 5 }, 'claude-haiku-4-5')).type).toBe('missing_usage');
  });
});

describe('totalTokens', () => {
  it('adds every kind of token once', () => {
    expect(totalTokens({ inputTokens: 1, cachedInputTokens: 20, cacheWriteTokens: 300, outputTokens: 4_000 })).toBe(4_321);
  });

  it('counts an OpenAI prompt once even though prompt_tokens includes the cached part', () => {
    const u = fromOpenAiUsage({ prompt_tokens: 900, completion_tokens: 100, prompt_tokens_details: { cached_tokens: 600 } }, 'gpt-4.1');
    expect(totalTokens(u)).toBe(1_000);
  });
});

describe('costOf', () => {
  it('prices OpenAI cached tokens at the cached rate', () => {
    // gpt-4.1-mini: input $0.40/M, cached $0.10/M, output $1.60/M.
    // 6,000 × 0.40 + 4,000 × 0.10 + 2,000 × 1.60 = 2,400 + 400 + 3,200 = 6,000 µ$ → $0.006
    const u = fromOpenAiUsage({ prompt_tokens: 10_000, completion_tokens: 2_000, prompt_tokens_details: { cached_tokens: 4_000 } }, 'gpt-4.1-mini');
    expect(costOf('gpt-4.1-mini', u)).toBeCloseTo(0.006, 12);
  });

  it('charges an OpenAI prompt less when part of it is cached', () => {
    // gpt-4.1: 1M uncached input = $2; 1M with 750k cached = 250k × 2 + 750k × 0.5 = $0.875
    const uncached = fromOpenAiUsage({ prompt_tokens: 1_000_000, completion_tokens: 0 }, 'gpt-4.1');
    const cached = fromOpenAiUsage({ prompt_tokens: 1_000_000, completion_tokens: 0, prompt_tokens_details: { cached_tokens: 750_000 } }, 'gpt-4.1');
    expect(costOf('gpt-4.1', uncached)).toBeCloseTo(2, 12);
    expect(costOf('gpt-4.1', cached)).toBeCloseTo(0.875, 12);
  });

  it('prices Anthropic cache reads at the cached rate and cache writes at the cacheWrite rate', () => {
    // claude-sonnet-4-6: input $3, cache read $0.30, cache write $3.75, output $15 per M.
    // 1,000 × 3 + 20,000 × 0.30 + 5,000 × 3.75 + 800 × 15 = 3,000 + 6,000 + 18,750 + 12,000 = 39,750 µ$
    const u = fromAnthropicUsage(
      { input_tokens: 1_000, output_tokens: 800, cache_read_input_tokens: 20_000, cache_creation_input_tokens: 5_000 },
      'claude-sonnet-4-6',
    );
    expect(costOf('claude-sonnet-4-6', u)).toBeCloseTo(0.03975, 12);
  });

  it('prices claude-haiku-4-5 with its own rates', () => {
    // 2,000 × 1 + 10,000 × 0.10 + 4,000 × 1.25 + 500 × 5 = 2,000 + 1,000 + 5,000 + 2,500 = 10,500 µ$
    expect(costOf('claude-haiku-4-5', usage({ inputTokens: 2_000, cachedInputTokens: 10_000, cacheWriteTokens: 4_000, outputTokens: 500 }))).toBeCloseTo(
      0.0105,
      12,
    );
  });

  it('prices each token kind independently', () => {
    expect(costOf('gpt-4.1-nano', usage({ inputTokens: 1_000_000 }))).toBeCloseTo(0.1, 12);
    expect(costOf('gpt-4.1-nano', usage({ cachedInputTokens: 1_000_000 }))).toBeCloseTo(0.025, 12);
    expect(costOf('gpt-4.1-nano', usage({ outputTokens: 1_000_000 }))).toBeCloseTo(0.4, 12);
    expect(costOf('gpt-4o-mini', usage({ inputTokens: 1_000_000, outputTokens: 1_000_000 }))).toBeCloseTo(0.75, 12);
  });

  it('costs nothing for no tokens of a known model', () => {
    expect(costOf('gpt-4.1', usage({}))).toBe(0);
  });

  it('prices unpriced cache writes at the input rate', () => {
    const table: PriceTable = { pricedAt: 'test', models: { m: { provider: 'openai', input: 2, cachedInput: 1, output: 4 } } };
    expect(costOf('m', usage({ cacheWriteTokens: 1_000_000 }), table)).toBeCloseTo(2, 12);
  });

  it('refuses an unknown model with unknown_price instead of pricing it at zero', () => {
    const err = caught(() => costOf('gpt-9-ultra', usage({ inputTokens: 1_000, outputTokens: 1_000 })));
    expect(err.type).toBe('unknown_price');
    expect(err.retryable).toBe(false);
    expect(err.category).toBe('system');
    expect(err.details).toEqual({ model: 'gpt-9-ultra' });
    expect(err.message).toBe('no pinned price for model "gpt-9-ultra" in src/llm/prices.json');
  });

  it('refuses an unknown model even when it used no tokens', () => {
    expect(caught(() => costOf('mystery-model', usage({}))).type).toBe('unknown_price');
  });

  it('looks models up by exact name', () => {
    expect(caught(() => costOf('GPT-4.1', usage({ inputTokens: 1 }))).type).toBe('unknown_price');
    expect(caught(() => costOf('gpt-4.1 ', usage({ inputTokens: 1 }))).type).toBe('unknown_price');
  });
});

describe('priceOf and providerOf', () => {
  it('returns the pinned price of a model', () => {
    expect(priceOf('claude-sonnet-4-6')).toEqual({ provider: 'anthropic', input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 });
    expect(priceOf('gpt-4.1-mini')).toEqual({ provider: 'openai', input: 0.4, cachedInput: 0.1, output: 1.6 });
  });

  it('names the provider of each model', () => {
    expect(providerOf('gpt-4.1')).toBe('openai');
    expect(providerOf('gpt-4o-mini')).toBe('openai');
    expect(providerOf('claude-haiku-4-5')).toBe('anthropic');
    expect(caught(() => providerOf('llama-3')).type).toBe('unknown_price');
  });

  it('reads a custom table when one is given', () => {
    const table: PriceTable = { pricedAt: 'test', models: { custom: { provider: 'anthropic', input: 1, cachedInput: 1, output: 1 } } };
    expect(providerOf('custom', table)).toBe('anthropic');
    expect(caught(() => priceOf('gpt-4.1', table)).type).toBe('unknown_price');
  });
});

describe('worstCaseCostOf', () => {
  it('prices every prompt token at the dearest input rate plus the whole output allowance', () => {
    // gpt-4.1: 10,000 × 2 + 1,000 × 8 = 28,000 µ$
    expect(worstCaseCostOf('gpt-4.1', 10_000, 1_000)).toBeCloseTo(0.028, 12);
    // claude-sonnet-4-6: the cache-write rate (3.75) is dearer than input (3): 10,000 × 3.75 + 1,000 × 15 = 52,500 µ$
    expect(worstCaseCostOf('claude-sonnet-4-6', 10_000, 1_000)).toBeCloseTo(0.0525, 12);
  });

  it('equals costOf when every prompt token is a cache write and the output allowance is used up', () => {
    const worst = worstCaseCostOf('claude-haiku-4-5', 8_000, 700);
    expect(costOf('claude-haiku-4-5', usage({ cacheWriteTokens: 8_000, outputTokens: 700 }))).toBeCloseTo(worst, 15);
  });

  it('refuses an unknown model with unknown_price', () => {
    expect(caught(() => worstCaseCostOf('not-a-model', 100, 100)).type).toBe('unknown_price');
  });

  it('is never below costOf for any usage within the prompt and output bounds', () => {
    const random = prng(20261101);
    const int = (max: number) => Math.floor(random() * (max + 1));
    for (const model of Object.keys(PRICES.models)) {
      for (let i = 0; i < 500; i++) {
        const promptTokens = int(50_000);
        const maxOutputTokens = int(8_192);
        const input = int(promptTokens);
        const cached = int(promptTokens - input);
        // OpenAI never reports cache writes; Anthropic may make any remainder a write.
        const writes = PRICES.models[model].provider === 'anthropic' ? promptTokens - input - cached : 0;
        const u = usage({ inputTokens: input, cachedInputTokens: cached, cacheWriteTokens: writes, outputTokens: int(maxOutputTokens) });
        const worst = worstCaseCostOf(model, promptTokens, maxOutputTokens);
        const actual = costOf(model, u);
        if (worst + 1e-12 < actual) {
          throw new Error(`${model}: worst case ${worst} < actual ${actual} for ${JSON.stringify({ promptTokens, maxOutputTokens, u })}`);
        }
      }
    }
  });

  it('is never below costOf at the extremes of the bounds', () => {
    for (const model of Object.keys(PRICES.models)) {
      const worst = worstCaseCostOf(model, 4_000, 700);
      for (const u of [
        usage({ inputTokens: 4_000, outputTokens: 700 }),
        usage({ cachedInputTokens: 4_000, outputTokens: 700 }),
        usage({ cacheWriteTokens: 4_000, outputTokens: 700 }),
      ]) {
        expect(worst).toBeGreaterThanOrEqual(costOf(model, u) - 1e-15);
      }
    }
  });
});

describe('the shipped price table', () => {
  it('validates and holds the pinned models', () => {
    expect(PRICES.pricedAt).toBe('2026-11-01');
    expect(Object.keys(PRICES.models).sort()).toEqual(
      ['claude-haiku-4-5', 'claude-sonnet-4-6', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-4o-mini'].sort(),
    );
    expect(PRICES.models).toEqual(pricesFile.models);
  });

  it('prices cached input no dearer than input, and Anthropic cache writes no cheaper', () => {
    for (const [model, price] of Object.entries(PRICES.models)) {
      expect({ model, ok: price.cachedInput <= price.input && price.input > 0 && price.output > 0 }).toEqual({ model, ok: true });
      if (price.provider === 'anthropic') {
        expect({ model, cacheWrite: price.cacheWrite !== undefined && price.cacheWrite >= price.input }).toEqual({ model, cacheWrite: true });
      } else {
        expect({ model, cacheWrite: price.cacheWrite }).toEqual({ model, cacheWrite: undefined });
      }
    }
  });

  it('has a price, with the right provider, for every roster model in agents/*.yaml', () => {
    const files = fs.readdirSync(AGENTS_DIR).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const spec = parseYaml(fs.readFileSync(path.join(AGENTS_DIR, file), 'utf8')) as { provider: string; model: string };
      expect({ file, model: spec.model, provider: PRICES.models[spec.model]?.provider }).toEqual({
        file,
        model: spec.model,
        provider: spec.provider,
      });
    }
  });
});
