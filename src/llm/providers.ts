import type { PantheonConfig } from '../config/env';
import { PantheonError } from '../errors';
import { createAnthropicProvider } from './anthropic-provider';
import { createLlmClient } from './client';
import { createOpenAiProvider } from './openai-provider';
import type { LlmClient, ProviderName } from './types';

/** Where each provider's calls go under the configuration: the vendor, or the offline server. */
export function resolveProviderTargets(config: PantheonConfig): Record<ProviderName, { apiKey: string; baseURL?: string; offline: boolean }> {
  const target = (name: ProviderName) => {
    const own = config.llm[name];
    const live = config.llm.mode === 'live' || (config.llm.mode === 'auto' && own.apiKey);
    if (live) {
      if (!own.apiKey) {
        const variable = name === 'openai' ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY';
        throw PantheonError.of('config_invalid', `environment variable ${variable}: required when PANTHEON_LLM_MODE=live`, {
          details: { variable },
        });
      }
      return { apiKey: own.apiKey, baseURL: own.baseURL, offline: false };
    }
    if (!config.llm.offlineUrl) {
      throw PantheonError.of('config_invalid', 'environment variable PANTHEON_OFFLINE_URL: required when a provider has no API key', {
        details: { variable: 'PANTHEON_OFFLINE_URL' },
      });
    }
    // The offline server ignores keys; a placeholder keeps the SDKs' own checks quiet.
    return { apiKey: 'offline', baseURL: config.llm.offlineUrl, offline: true };
  };
  return { openai: target('openai'), anthropic: target('anthropic') };
}

export function createConfiguredLlmClient(config: PantheonConfig): LlmClient {
  const targets = resolveProviderTargets(config);
  const timeoutMs = config.llm.timeoutMs;
  return createLlmClient({
    openai: createOpenAiProvider({ ...targets.openai, timeoutMs }),
    anthropic: createAnthropicProvider({ ...targets.anthropic, timeoutMs }),
  });
}
