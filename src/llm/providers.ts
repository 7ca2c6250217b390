import type { PantheonConfig } from '../config/env';
import { PantheonError } from '../errors';
import { createAnthropicProvider } from './anthropic-provider';
import { createLlmClient } from './client';
import { createOpenAiProvider } from './openai-provider';
import { KEY_VARIABLE, planProviders, type ProviderPlan, type ProviderStatus } from './provider-modes';
import type { LlmClient, LlmProvider, ProviderName } from './types';

export interface ProviderTarget {
  status: ProviderStatus;
  /** Absent for a disabled provider. */
  apiKey?: string;
  baseURL?: string;
}

/** The plan with no model users: which providers are live, offline or disabled under the keys. */
export function planFromConfig(config: PantheonConfig): ProviderPlan {
  return planProviders({
    mode: config.llm.mode,
    keys: { openai: Boolean(config.llm.openai.apiKey), anthropic: Boolean(config.llm.anthropic.apiKey) },
    users: [],
  });
}

/** Where each provider's calls go under the plan: the vendor (or its gateway), the offline server, or nowhere. */
export function resolveProviderTargets(config: PantheonConfig, plan: ProviderPlan = planFromConfig(config)): Record<ProviderName, ProviderTarget> {
  const target = (name: ProviderName): ProviderTarget => {
    const status = plan.providers[name];
    if (status === 'disabled') return { status };
    if (status === 'live') return { status, apiKey: config.llm[name].apiKey!, baseURL: config.llm[name].baseURL };
    if (!config.llm.offlineUrl) {
      throw PantheonError.of('config_invalid', 'environment variable PANTHEON_OFFLINE_URL: required when the offline provider answers', {
        details: { variable: 'PANTHEON_OFFLINE_URL' },
      });
    }
    // The offline server ignores keys; a placeholder keeps the SDKs' own checks quiet.
    return { status, apiKey: 'offline', baseURL: config.llm.offlineUrl };
  };
  return { openai: target('openai'), anthropic: target('anthropic') };
}

/**
 * A provider without a key, in a worker that calls others for real. Only a model nobody declared
 * at start (a spawned specialist's) can reach it; it fails at once, naming the variable, instead
 * of being answered by the offline server as if it were live.
 */
function disabledProvider(name: ProviderName): LlmProvider {
  return {
    name,
    async complete(request) {
      throw PantheonError.of('config_invalid', `environment variable ${KEY_VARIABLE[name]}: required to call ${name} model ${request.model} (${request.agent ?? request.purpose})`, {
        details: { variable: KEY_VARIABLE[name], provider: name, model: request.model, billed: 'no' },
      });
    },
  };
}

export function createConfiguredLlmClient(config: PantheonConfig, plan: ProviderPlan = planFromConfig(config)): LlmClient {
  const targets = resolveProviderTargets(config, plan);
  const timeoutMs = config.llm.timeoutMs;
  const build = (name: ProviderName, create: typeof createOpenAiProvider): LlmProvider => {
    const t = targets[name];
    return t.status === 'disabled' ? disabledProvider(name) : create({ apiKey: t.apiKey!, baseURL: t.baseURL, timeoutMs });
  };
  return createLlmClient({ openai: build('openai', createOpenAiProvider), anthropic: build('anthropic', createAnthropicProvider) });
}
