import { z } from 'zod';
import type { CallRecord } from './calls';
import { FaultRuleSchema, FaultRulesSchema, type FaultRule } from './faults';
import { parseJson } from './http';
import { ScenarioSchema, type Scenario } from './scenario';
import { describeIssues } from './issues';

/**
 * The admin endpoints under /_pantheon/, which let another process (a test runner, a chaos script)
 * inspect calls and steer faults and latency on a provider it did not start.
 */

export const ADMIN_PREFIX = '/_pantheon/';

export const LatencySchema = z.strictObject({
  latencyMs: z.number().int().min(0),
  jitterMs: z.number().int().min(0).optional(),
});

export interface AdminControls {
  calls(): CallRecord[];
  resetCalls(): void;
  faults(): FaultRule[];
  setFaults(rules: FaultRule[]): void;
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  latency(): { latencyMs: number; jitterMs: number };
  setLatency(latencyMs: number, jitterMs?: number): void;
  scenario(): Scenario | undefined;
  setScenario(scenario: Scenario | undefined): void;
}

export interface AdminResponse {
  status: number;
  body: unknown;
}

function badRequest(message: string): AdminResponse {
  return { status: 400, body: { error: { type: 'invalid_request_error', message } } };
}

function validate<T>(schema: z.ZodType<T>, text: string, root: string): { ok: true; value: T } | { ok: false; response: AdminResponse } {
  if (text.trim() === '') return { ok: false, response: badRequest(`${root || 'body'}: a JSON body is required`) };
  const json = parseJson(text);
  if (!json.ok) return { ok: false, response: badRequest(`body: not valid JSON (${json.message})`) };
  const parsed = schema.safeParse(json.value);
  if (!parsed.success) return { ok: false, response: badRequest(describeIssues(parsed.error, root)) };
  return { ok: true, value: parsed.data };
}

export function handleAdmin(method: string, path: string, body: string, controls: AdminControls): AdminResponse {
  const route = `${method} ${path.slice(ADMIN_PREFIX.length).replace(/\/+$/, '')}`;
  switch (route) {
    case 'GET calls':
      return { status: 200, body: controls.calls() };
    case 'DELETE calls':
      controls.resetCalls();
      return { status: 200, body: { ok: true } };
    case 'GET faults':
      return { status: 200, body: controls.faults() };
    case 'PUT faults': {
      const v = validate(FaultRulesSchema, body, 'faults');
      if (!v.ok) return v.response;
      controls.setFaults(v.value);
      return { status: 200, body: { ok: true, faults: v.value.length } };
    }
    case 'POST faults': {
      const v = validate(FaultRuleSchema, body, 'fault');
      if (!v.ok) return v.response;
      controls.addFault(v.value);
      return { status: 200, body: { ok: true, faults: controls.faults().length } };
    }
    case 'DELETE faults':
      controls.clearFaults();
      return { status: 200, body: { ok: true, faults: 0 } };
    case 'GET latency':
      return { status: 200, body: controls.latency() };
    case 'PUT latency': {
      const v = validate(LatencySchema, body, '');
      if (!v.ok) return v.response;
      controls.setLatency(v.value.latencyMs, v.value.jitterMs);
      return { status: 200, body: { ok: true, ...controls.latency() } };
    }
    case 'GET scenario':
      return { status: 200, body: { scenario: controls.scenario() ?? null } };
    case 'PUT scenario': {
      const v = validate(ScenarioSchema, body, 'scenario');
      if (!v.ok) return v.response;
      controls.setScenario(v.value);
      return { status: 200, body: { ok: true, rules: v.value.rules.length } };
    }
    case 'DELETE scenario':
      controls.setScenario(undefined);
      return { status: 200, body: { ok: true, rules: 0 } };
    default:
      return { status: 404, body: { error: { type: 'not_found_error', message: `no admin route ${method} ${path}` } } };
  }
}
