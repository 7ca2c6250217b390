import type { Lineage } from '../tasks/lineage';
import type { Lane } from '../tasks/task-input';

/** The one interface Pantheon speaks to every LLM provider through. */

export type ProviderName = 'openai' | 'anthropic';

/** Why a call is made; the offline provider answers by it, and logs and budgets group by it.
 * generator: God asks for a goal's next tasks; spawner: God asks for a new specialist's definition;
 * validator: the second stage of pre-flight validation, for what the free rules cannot decide. */
export const CALL_PURPOSES = ['specialist', 'router', 'compressor', 'generator', 'spawner', 'validator'] as const;
export type CallPurpose = (typeof CALL_PURPOSES)[number];

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  provider: ProviderName;
  model: string;
  system: string;
  messages: ChatMessage[];
  maxOutputTokens: number;
  /** Ask for a single JSON object as the answer. */
  json: boolean;
  purpose: CallPurpose;
  /** The specialist making the call, for attribution. */
  agent?: string;
  /** The task (workflow id) the call serves, for attribution and fault matching. */
  taskId?: string;
  /** The task's place in its tree of spawned tasks; the ledger enforces max_spawn_depth from it. */
  lineage?: Lineage;
  /** The task's spend before this call by its own books; the ledger's per-task limits use it. */
  taskSpent?: { usd: number; tokens: number };
  /** The part of the daily budget that pays for the call (the task's lane); absent: main. */
  lane?: Lane;
}

/**
 * Token usage normalised across providers: `inputTokens` excludes cached tokens (OpenAI's
 * prompt_tokens include them, Anthropic's input_tokens do not; the adapters reconcile).
 */
export interface Usage {
  inputTokens: number;
  cachedInputTokens: number;
  /** Anthropic's cache writes, priced at a premium; 0 for OpenAI. */
  cacheWriteTokens: number;
  outputTokens: number;
}

export interface ChatResult {
  text: string;
  usage: Usage;
  model: string;
  costUsd: number;
  latencyMs: number;
}

/** One provider behind the SDK that speaks its wire format. */
export interface LlmProvider {
  readonly name: ProviderName;
  complete(request: ChatRequest, signal?: AbortSignal): Promise<Omit<ChatResult, 'costUsd'>>;
}

/** What a caller may learn about its call before the answer comes. */
export interface CallHooks {
  /** The budget let the call through (its worst case is reserved) and it goes to the provider. */
  onAdmitted?: () => void;
}

/** Calls any model by provider name, prices the usage, and fails closed on unknown prices. */
export interface LlmClient {
  complete(request: ChatRequest, signal?: AbortSignal, hooks?: CallHooks): Promise<ChatResult>;
}

/** HTTP headers Pantheon sends with every call; the offline provider answers by them. */
export const PANTHEON_HEADERS = {
  purpose: 'x-pantheon-purpose',
  agent: 'x-pantheon-agent',
  task: 'x-pantheon-task',
  root: 'x-pantheon-root-task',
  parent: 'x-pantheon-parent-task',
  depth: 'x-pantheon-spawn-depth',
  lane: 'x-pantheon-lane',
} as const;
