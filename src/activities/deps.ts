import type { Alerter } from '../alerts/alerter';
import type { LlmClient } from '../llm/types';
import type { MemoryStore } from '../memory/types';
import type { Roster } from '../specialists/roster';
import type { ConstraintBook } from '../constraints/book';
import type { RoutingPolicyView } from '../workflows/god-api';

/** Everything the activities touch, handed in so tests and workers choose the real parts. */
export interface ActivityDeps {
  llm: LlmClient;
  roster: Roster;
  memory: MemoryStore;
  models: SystemModels;
  alerter: Alerter;
  /** The budget ledger's side of a task's end: its lifetime bill (the worker's budget gate). */
  bills: TaskBills;
  /** The standing constraints (God's); absent: none are checked and a task's own are not registered. */
  constraints?: ConstraintBook;
  /** God's active routing policy (src/workers/god-policy.ts); absent: the roster's rules as version 0. */
  routingPolicy?: RoutingPolicySource;
  /** True once this worker was asked to stop (src/workers/drain.ts); absent: never. */
  draining?: () => boolean;
}

/** Where the route activity reads the routing policy from; undefined when no God holds one. */
export interface RoutingPolicySource {
  /** The God workflow id that owns the policy: where a directly started task reports what it taught. */
  readonly owner: string;
  active(): Promise<RoutingPolicyView | undefined>;
}

/** Closes a task's bill in the ledger: everything charged for it, outstanding calls included. */
export interface TaskBills {
  /** `books`: the task's own count of its spend; with it the gate may answer without a round trip
   * (gate.ts). `run`: the run of the task's workflow that closes, so a bill the ledger remembers
   * from another run of the same id is not answered to it. */
  closeTask(taskId: string, books?: { usd: number; tokens: number }, run?: string): Promise<{ usd: number; tokens: number; known: boolean; chargedOutstanding: number }>;
}

/** The cheap models Pantheon's own bookkeeping calls use. */
export interface SystemModels {
  router: { provider: 'openai' | 'anthropic'; model: string; maxOutputTokens: number };
  compressor: { provider: 'openai' | 'anthropic'; model: string; maxOutputTokens: number };
  /** God's task generator: a goal's next concrete tasks. */
  generator: { provider: 'openai' | 'anthropic'; model: string; maxOutputTokens: number };
  /** God's spawner: a new specialist's definition (its system prompt may be up to 1000 tokens). */
  spawner: { provider: 'openai' | 'anthropic'; model: string; maxOutputTokens: number };
  /** Pre-flight validation's second stage: asked only what the free rules cannot decide. */
  validator: { provider: 'openai' | 'anthropic'; model: string; maxOutputTokens: number };
}

export const DEFAULT_SYSTEM_MODELS: SystemModels = {
  router: { provider: 'openai', model: 'gpt-4.1-nano', maxOutputTokens: 200 },
  compressor: { provider: 'openai', model: 'gpt-4.1-mini', maxOutputTokens: 600 },
  generator: { provider: 'openai', model: 'gpt-4.1-nano', maxOutputTokens: 900 },
  spawner: { provider: 'openai', model: 'gpt-4.1-nano', maxOutputTokens: 1400 },
  validator: { provider: 'openai', model: 'gpt-4.1-nano', maxOutputTokens: 300 },
};

/** Where each system model goes when its provider has no API key but the other has one (src/llm/provider-modes.ts). */
export const SYSTEM_MODEL_FALLBACKS: Record<keyof SystemModels, { provider: 'openai' | 'anthropic'; model: string }> = {
  router: { provider: 'anthropic', model: 'claude-haiku-4-5' },
  compressor: { provider: 'anthropic', model: 'claude-haiku-4-5' },
  generator: { provider: 'anthropic', model: 'claude-haiku-4-5' },
  spawner: { provider: 'anthropic', model: 'claude-haiku-4-5' },
  validator: { provider: 'anthropic', model: 'claude-haiku-4-5' },
};
