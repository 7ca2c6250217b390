import { PantheonError } from '../errors';
import type { ProviderName } from './types';

/**
 * Which provider answers for real, and what to do with a model whose provider has no key. Pure:
 * the worker decides once at start, before anything runs, and logs the answer.
 *
 * - `offline`, or `auto` with no key at all (the two-command demo): every provider is the offline
 *   server, and its answers are marked as such wherever they are kept.
 * - `live`, or `auto` with at least one key: a provider with a key is live, one without is disabled.
 *   A specialist or system model on a disabled provider moves to the model its entry declares
 *   (`fallback_model`) if that provider is live; otherwise the worker refuses to start, naming the
 *   variable and the model's user. The offline server never stands in for a missing key.
 *
 * @example
 *   planProviders({ mode: 'auto', keys: { openai: true, anthropic: false }, users: [
 *     { kind: 'specialist', name: 'ResearchAgent', provider: 'anthropic', model: 'claude-haiku-4-5',
 *       fallback: { provider: 'openai', model: 'gpt-4.1-mini' } },
 *   ] });
 *   // → openai live, anthropic disabled, ResearchAgent remapped to openai/gpt-4.1-mini
 */

export type LlmMode = 'auto' | 'offline' | 'live';
export type ProviderStatus = 'live' | 'offline' | 'disabled';

export interface ModelRef {
  provider: ProviderName;
  model: string;
}

/** Something that calls a model: a roster specialist, or one of Pantheon's own system calls. */
export interface ModelUser extends ModelRef {
  kind: 'specialist' | 'system';
  name: string;
  /** Where it goes when its provider has no key (a roster entry's `fallback_model`). */
  fallback?: ModelRef;
}

export interface Remap {
  kind: ModelUser['kind'];
  name: string;
  from: ModelRef;
  to: ModelRef;
}

export interface ProviderPlan {
  /** The mode as configured. */
  mode: LlmMode;
  /** True when answers come from the offline server: records made from them are marked offline. */
  offline: boolean;
  providers: Record<ProviderName, ProviderStatus>;
  remaps: Remap[];
}

export const PROVIDERS: readonly ProviderName[] = ['openai', 'anthropic'];

export const KEY_VARIABLE: Record<ProviderName, string> = { openai: 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY' };

export function planProviders(input: { mode: LlmMode; keys: Record<ProviderName, boolean>; users: readonly ModelUser[] }): ProviderPlan {
  const { mode, keys } = input;
  const anyKey = PROVIDERS.some((p) => keys[p]);
  if (mode === 'offline' || (mode === 'auto' && !anyKey)) {
    return { mode, offline: true, providers: { openai: 'offline', anthropic: 'offline' }, remaps: [] };
  }
  const providers = { openai: keys.openai ? 'live' : 'disabled', anthropic: keys.anthropic ? 'live' : 'disabled' } as Record<ProviderName, ProviderStatus>;
  const remaps: Remap[] = [];
  const refused: { kind: ModelUser['kind']; name: string; model: string; variable: string }[] = [];
  for (const user of input.users) {
    if (providers[user.provider] === 'live') continue;
    const to = user.fallback;
    if (to && providers[to.provider] === 'live') {
      remaps.push({ kind: user.kind, name: user.name, from: { provider: user.provider, model: user.model }, to: { provider: to.provider, model: to.model } });
    } else {
      refused.push({ kind: user.kind, name: user.name, model: user.model, variable: KEY_VARIABLE[user.provider] });
    }
  }
  if (refused.length > 0) {
    const lines = refused.map((r) => `${r.kind === 'specialist' ? 'specialist' : 'system model'} ${r.name} (${r.model}) needs ${r.variable}`);
    throw PantheonError.of(
      'config_invalid',
      `environment variable ${refused[0].variable}: required in PANTHEON_LLM_MODE=${mode} (${lines.join('; ')}); ` +
        `set the key, declare a fallback_model on a provider that has one, or run with PANTHEON_LLM_MODE=offline`,
      { details: { variable: refused[0].variable, refused } },
    );
  }
  return { mode, offline: false, providers, remaps };
}

/** The model a user calls under the plan: its own, or its remap. */
export function effectiveModel(plan: ProviderPlan, user: Pick<ModelUser, 'kind' | 'name'> & ModelRef): ModelRef {
  const remap = plan.remaps.find((r) => r.kind === user.kind && r.name === user.name);
  return remap ? remap.to : { provider: user.provider, model: user.model };
}

/** The worker's first log line: the mode and each provider's status; never a key. */
export function describePlan(plan: ProviderPlan): { fields: Record<string, unknown>; message: string } {
  const providers = PROVIDERS.map((p) => `${p} ${plan.providers[p]}`).join(', ');
  const remaps = plan.remaps.map((r) => `${r.name} ${r.from.provider}/${r.from.model} -> ${r.to.provider}/${r.to.model}`);
  return {
    fields: { llmMode: plan.mode, offline: plan.offline, providers: plan.providers, remaps },
    message: `LLM mode ${plan.mode}: ${providers}${plan.offline ? ' (offline answers are marked and never recalled into live runs)' : ''}` +
      (remaps.length ? `; remapped: ${remaps.join('; ')}` : ''),
  };
}
