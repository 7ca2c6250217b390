import { z } from 'zod';
import { CALL_PURPOSES, type CallPurpose, type ProviderName } from '../types';
import { describeIssues } from './issues';
import { createPrng, deriveSeed, type Prng } from './prng';
import { PantheonError } from '../../errors';

/**
 * Fault injection: rules that make the offline provider misbehave the way real providers do, so
 * retries, timeouts and output validation are exercised without a real outage.
 */

export const FAULT_KINDS = [
  'rate_limit',
  'quota_exhausted',
  'server_error',
  'unavailable',
  'gateway_timeout',
  'malformed_json',
  'malformed_body',
  'invalid_output',
  'slow',
  'hang',
  'reset',
  'usage_inflate',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

export const FaultMatchSchema = z.strictObject({
  provider: z.enum(['openai', 'anthropic']).optional(),
  purpose: z.enum(CALL_PURPOSES).optional(),
  agent: z.string().min(1).optional(),
  task: z.string().min(1).optional(),
  /** Tested against the system prompt and every message, joined by newlines. */
  pattern: z.string().min(1).refine(isRegExp, { message: 'must be a valid regular expression' }).optional(),
});

// Strict objects: a misspelt key ("time" for "times") would otherwise silently widen the rule.
// Selectors combine: a rule fires only when each of calls, times and probability it sets agrees;
// a rule with none of them fires on every request that satisfies `match`.
export const FaultRuleSchema = z.strictObject({
  kind: z.enum(FAULT_KINDS),
  match: FaultMatchSchema.optional(),
  /** 1-based positions among the requests that satisfy `match`. */
  calls: z.array(z.number().int().min(1)).min(1).optional(),
  /** Only the first N requests that satisfy `match`. */
  times: z.number().int().min(0).optional(),
  probability: z.number().min(0).max(1).optional(),
  seed: z.number().int().optional(),
  retryAfterSeconds: z.number().min(0).optional(),
  delayMs: z.number().int().min(0).optional(),
  /** usage_inflate only: the reported usage (input and output) is multiplied by this, rounded up. */
  factor: z.number().min(1).max(1000).optional(),
});
export type FaultRule = z.infer<typeof FaultRuleSchema>;
export type FaultMatch = z.infer<typeof FaultMatchSchema>;

export const FaultRulesSchema = z.array(FaultRuleSchema);

export const DEFAULT_RETRY_AFTER_SECONDS = 1;
export const DEFAULT_SLOW_DELAY_MS = 2000;
/** A provider over-reporting usage: enough to overrun any worst case that has output to spare. */
export const DEFAULT_INFLATE_FACTOR = 10;

/** Validates rules from any source; the error names `source` and the offending field. */
export function parseFaultRules(value: unknown, source: string): FaultRule[] {
  const parsed = FaultRulesSchema.safeParse(value);
  if (!parsed.success) throw PantheonError.of('config_invalid', `${source} is invalid: ${describeIssues(parsed.error, source)}`, { details: { field: source } });
  return parsed.data;
}

export function parseFaultRule(value: unknown, source: string): FaultRule {
  const parsed = FaultRuleSchema.safeParse(value);
  if (!parsed.success) throw PantheonError.of('config_invalid', `${source} is invalid: ${describeIssues(parsed.error, source)}`, { details: { field: source } });
  return parsed.data;
}

export const FAULTS_ENV = 'PANTHEON_OFFLINE_FAULTS';

/** Reads PANTHEON_OFFLINE_FAULTS (a JSON array of rules); unset or blank means no faults. */
export function loadFaultsFromEnv(env: NodeJS.ProcessEnv = process.env): FaultRule[] {
  const raw = env[FAULTS_ENV];
  if (raw === undefined || raw.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw PantheonError.of('config_invalid', `${FAULTS_ENV} is not valid JSON: ${(err as Error).message}`, { details: { field: FAULTS_ENV } });
  }
  return parseFaultRules(value, FAULTS_ENV);
}

/** What a rule can see of a request. */
export interface FaultContext {
  provider: ProviderName;
  purpose: CallPurpose;
  agent: string;
  task: string | null;
  text: string;
}

interface ArmedRule {
  rule: FaultRule;
  pattern?: RegExp;
  prng: Prng;
  matched: number;
}

function matches(armed: ArmedRule, ctx: FaultContext): boolean {
  const m = armed.rule.match;
  if (!m) return true;
  if (m.provider !== undefined && m.provider !== ctx.provider) return false;
  if (m.purpose !== undefined && m.purpose !== ctx.purpose) return false;
  if (m.agent !== undefined && m.agent !== ctx.agent) return false;
  if (m.task !== undefined && m.task !== ctx.task) return false;
  if (armed.pattern && !armed.pattern.test(ctx.text)) return false;
  return true;
}

/**
 * The live rule set. Every rule sees every request and keeps its own count, so adding a rule never
 * shifts when another one fires; the first rule (in order) that fires decides the fault.
 */
export class FaultBook {
  private armed: ArmedRule[] = [];
  private added = 0;

  constructor(private readonly seed: number) {}

  replace(rules: readonly FaultRule[]): void {
    this.armed = [];
    this.added = 0;
    for (const rule of rules) this.add(rule);
  }

  add(rule: FaultRule): void {
    const salt = `rule-${this.added++}`;
    this.armed.push({
      rule,
      pattern: rule.match?.pattern === undefined ? undefined : new RegExp(rule.match.pattern),
      prng: createPrng(rule.seed ?? deriveSeed(this.seed, salt)),
      matched: 0,
    });
  }

  clear(): void {
    this.replace([]);
  }

  list(): FaultRule[] {
    return this.armed.map((a) => a.rule);
  }

  pick(ctx: FaultContext): FaultRule | undefined {
    let chosen: FaultRule | undefined;
    for (const armed of this.armed) {
      if (!matches(armed, ctx)) continue;
      const n = ++armed.matched;
      const { calls, times, probability } = armed.rule;
      // Draw for every matching request, so the coin sequence depends only on how many requests
      // matched, not on whether the other selectors happened to pass.
      const coin = probability === undefined ? true : armed.prng() < probability;
      const fires = coin && (calls === undefined || calls.includes(n)) && (times === undefined || n <= times);
      if (fires && chosen === undefined) chosen = armed.rule;
    }
    return chosen;
  }
}
