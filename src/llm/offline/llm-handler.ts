import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { meteredPromptTokens, meteredTokens } from './meter';
import { CALL_PURPOSES, PANTHEON_HEADERS, type CallPurpose, type ChatMessage } from '../types';
import { MEMORY_HEADING, TASK_HEADING } from '../../specialists/protocol';
import { composeAnswer, composeInvalidAnswer, truncateJson, type AnswerInput } from './answers';
import type { CallLog, CallRecord } from './calls';
import { DEFAULT_INFLATE_FACTOR, DEFAULT_RETRY_AFTER_SECONDS, DEFAULT_SLOW_DELAY_MS, type FaultBook, type FaultKind } from './faults';
import { parseJson, sendJson, sendRaw } from './http';
import { memoryLines } from './conversation';
import { judge, taskIdentity, type ScenarioBook, type ScenarioVerdict } from './scenario';
import { fitToTokens } from './truncate';
import { offlineId, type WireErrorKind, type WireFormat, type WireRequest } from './wire';

/** Answers one LLM request in either wire format: identify it, pick a fault, then answer or fail. */

export interface LlmDeps {
  faults: FaultBook;
  scenario: ScenarioBook;
  log: CallLog;
  /** Distinguishes this server's ids from another instance's. */
  instance: string;
  nextLatencyMs(): number;
  /** Resolves false when the server is closing, so nobody writes to a dead socket. */
  sleep(ms: number): Promise<boolean>;
}

const PURPOSES: readonly CallPurpose[] = CALL_PURPOSES;
const DEFAULT_AGENT = 'Generalist';

const ERROR_FAULTS: Partial<Record<FaultKind, WireErrorKind>> = {
  rate_limit: 'rate_limit',
  quota_exhausted: 'quota_exhausted',
  server_error: 'server_error',
  unavailable: 'unavailable',
  gateway_timeout: 'gateway_timeout',
};

// What a proxy in front of a provider sometimes returns with a 200: not JSON at all.
const MALFORMED_BODY = '<html><body><h1>200 OK</h1><p>upstream response was replaced by the proxy</p></body></html>';

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first.trim() === '' ? undefined : first.trim();
}

type Identity = { purpose: CallPurpose; agent: string; task: string | null };

function identify(headers: IncomingHttpHeaders): Identity | { invalidPurpose: string } {
  const purpose = header(headers, PANTHEON_HEADERS.purpose) ?? 'specialist';
  if (!PURPOSES.includes(purpose as CallPurpose)) return { invalidPurpose: purpose };
  return {
    purpose: purpose as CallPurpose,
    agent: header(headers, PANTHEON_HEADERS.agent) ?? DEFAULT_AGENT,
    task: header(headers, PANTHEON_HEADERS.task) ?? null,
  };
}

/** The caller's lineage headers as sent (the provider only records them). */
function lineageOf(headers: IncomingHttpHeaders): CallRecord['lineage'] {
  const root = header(headers, PANTHEON_HEADERS.root);
  if (!root) return undefined;
  const depth = Number(header(headers, PANTHEON_HEADERS.depth));
  return { rootTaskId: root, parentTaskId: header(headers, PANTHEON_HEADERS.parent) ?? null, spawnDepth: Number.isInteger(depth) ? depth : null };
}

/** The caller's lane header as sent (recorded only, so a test can bill each lane on its own). */
function laneOf(headers: IncomingHttpHeaders): Pick<CallRecord, 'lane'> {
  const lane = header(headers, PANTHEON_HEADERS.lane);
  return lane === undefined ? {} : { lane };
}

/** The text a scenario reads a task's kind from: the specialist's TASK message, without memory lines. */
function scenarioText(messages: readonly ChatMessage[]): string {
  const first = messages.find((m) => m.role === 'user' && m.content.startsWith(TASK_HEADING))?.content ?? '';
  const memory = first.indexOf(`\n${MEMORY_HEADING}\n`);
  return memory < 0 ? first : first.slice(0, memory);
}

/** A scenario's verdict on a specialist call (none for other purposes, or with no scenario or rule). */
function verdictFor(deps: LlmDeps, identity: Identity, messages: readonly ChatMessage[]): ScenarioVerdict | undefined {
  const scenario = deps.scenario.get();
  if (!scenario || identity.purpose !== 'specialist') return undefined;
  const text = scenarioText(messages);
  return judge(scenario, { specialist: identity.agent, task: taskIdentity(identity.task, text) }, text);
}

function answerText(kind: FaultKind | undefined, input: AnswerInput): string {
  if (kind === 'invalid_output') return composeInvalidAnswer(input);
  const answer = composeAnswer(input);
  return kind === 'malformed_json' ? truncateJson(answer) : answer;
}

export async function handleLlm(
  req: IncomingMessage,
  res: ServerResponse,
  wire: WireFormat,
  body: string,
  deps: LlmDeps,
): Promise<void> {
  const seq = deps.log.nextSeq();
  const requestId = `req_${offlineId(deps.instance, seq)}`;
  const who = identify(req.headers);
  const identity: Identity = 'invalidPurpose' in who ? { purpose: 'specialist', agent: DEFAULT_AGENT, task: null } : who;
  const record: CallRecord = {
    seq,
    at: new Date().toISOString(),
    provider: wire.provider,
    model: '',
    ...identity,
    lineage: lineageOf(req.headers),
    ...laneOf(req.headers),
    inputTokens: 0,
    outputTokens: 0,
    status: 0,
  };
  const finish = (status: number, fault?: FaultKind): void => {
    deps.log.add(fault ? { ...record, status, fault } : { ...record, status });
  };
  const reject = (message: string, field: string): void => {
    const error = wire.error('invalid_request', requestId, { message, field });
    finish(error.status);
    sendJson(res, error.status, error.body, error.headers);
  };

  if ('invalidPurpose' in who) {
    return reject(`${PANTHEON_HEADERS.purpose} must be one of ${PURPOSES.join(', ')}; got "${who.invalidPurpose}"`, PANTHEON_HEADERS.purpose);
  }
  const json = parseJson(body);
  if (!json.ok) return reject(`request body is not valid JSON: ${json.message}`, 'body');
  const parsed = wire.parse(json.value);
  if (!parsed.ok) return reject(parsed.message, parsed.field);
  const request: WireRequest = parsed.request;
  record.model = request.model;
  const memory = memoryLines(request.messages);
  if (memory.length > 0) record.memory = memory;
  if (request.stream) return reject('stream: true is not supported by the offline provider', 'stream');

  // Faults are decided on arrival, before any latency, so concurrent requests are counted in the
  // order they came in however the jitter falls.
  const text = [request.system, ...request.messages.map((m) => m.content)].join('\n');
  const rule = deps.faults.pick({ provider: wire.provider, ...identity, text });
  const kind = rule?.kind;

  if (kind === 'hang') {
    // Leave the socket open until the client times out or the server closes.
    finish(0, kind);
    return;
  }
  const errorKind = kind === undefined ? undefined : ERROR_FAULTS[kind];
  if (errorKind !== undefined) {
    const error = wire.error(errorKind, requestId, {
      retryAfterSeconds: rule?.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
    });
    finish(error.status, kind);
    if (await deps.sleep(deps.nextLatencyMs())) sendJson(res, error.status, error.body, error.headers);
    return;
  }
  if (kind === 'reset') {
    finish(0, kind);
    if (await deps.sleep(deps.nextLatencyMs())) req.socket.destroy();
    return;
  }
  if (kind === 'malformed_body') {
    finish(200, kind);
    if (await deps.sleep(deps.nextLatencyMs())) sendRaw(res, 200, MALFORMED_BODY, { [wire.requestIdHeader]: requestId });
    return;
  }

  const verdict = verdictFor(deps, identity, request.messages);
  if (verdict) record.scenario = { ...(verdict.kind !== undefined && { kind: verdict.kind }), success: verdict.success, costFactor: verdict.costFactor };
  const input: AnswerInput = { ...identity, system: request.system, messages: request.messages, maxTokens: request.maxTokens, stuck: verdict ? !verdict.success : false };
  const answer = fitToTokens(answerText(kind, input), request.maxTokens ?? Number.POSITIVE_INFINITY);
  // usage_inflate: a provider billing more than any honest count, so a test can watch the budget
  // meet a settle above its reservation. A scenario's cost factor scales the bill the same way.
  const inflate = (kind === 'usage_inflate' ? (rule?.factor ?? DEFAULT_INFLATE_FACTOR) : 1) * (verdict?.costFactor ?? 1);
  record.inputTokens = Math.ceil(meteredPromptTokens(request.system, request.messages) * inflate);
  record.outputTokens = Math.ceil(meteredTokens(answer.text) * inflate);
  finish(200, kind);
  const extra = kind === 'slow' ? (rule?.delayMs ?? DEFAULT_SLOW_DELAY_MS) : 0;
  if (!(await deps.sleep(deps.nextLatencyMs() + extra))) return;
  const reply = wire.reply({
    id: offlineId(deps.instance, seq),
    model: request.model,
    text: answer.text,
    inputTokens: record.inputTokens,
    outputTokens: record.outputTokens,
    truncated: answer.truncated,
  });
  sendJson(res, 200, reply, { [wire.requestIdHeader]: requestId });
}
