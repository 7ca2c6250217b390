import { createServer, type AddressInfo } from 'node:net';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createBudgetedLlmClient } from '../../src/budget/budgeted-client';
import { worstCaseOf } from '../../src/budget/estimate';
import { loadConfig } from '../../src/config/env';
import { PantheonError } from '../../src/errors';
import type { ChatRequest, ChatResult, LlmClient } from '../../src/llm/types';
import { chatRequest } from '../support/chat-request';
import { startLlmSpan } from '../../src/tracing/llm-span';
import { openTracing } from '../../src/tracing/open';
import { describeEndpoint } from '../../src/tracing/settings';
import { diagLine } from '../../src/tracing/tracing';
import { memoryGate } from '../support/memory-gate';

describe('tracing settings (OTEL_* variables)', () => {
  it('is off unless an endpoint is set: no settings, and openTracing installs nothing', async () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_SERVICE_NAME: 'pantheon-eu' }).tracing).toBeUndefined();
    expect(await openTracing(undefined, 'pantheon-worker')).toBeUndefined();
    // The global API still has no SDK behind it: spans made anywhere record nothing.
    expect(trace.getTracer('any').startSpan('any').isRecording()).toBe(false);
  });

  it('treats a set but empty OTEL_* variable as unset (the OpenTelemetry rule)', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' }).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: '', OTEL_SDK_DISABLED: '' }).tracing).toEqual({
      endpoint: 'http://collector:4318/v1/traces',
      serviceName: undefined,
    });
  });

  it('appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT, keeping its path', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toEqual({ endpoint: 'http://collector:4318/v1/traces', serviceName: undefined });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com/' }).tracing?.endpoint).toBe('https://otel.example.com/v1/traces');
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://gateway:8080/otlp' }).tracing?.endpoint).toBe('http://gateway:8080/otlp/v1/traces');
  });

  it('uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, over the base endpoint', () => {
    const tracing = loadConfig({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://tempo:4318/custom/traces',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_SERVICE_NAME: 'pantheon-eu-workers',
    }).tracing;
    expect(tracing).toEqual({ endpoint: 'http://tempo:4318/custom/traces', serviceName: 'pantheon-eu-workers' });
  });

  it('stays off with OTEL_SDK_DISABLED=true (any case), even with an endpoint', () => {
    for (const disabled of ['true', 'TRUE', ' True ']) {
      expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: disabled }).tracing).toBeUndefined();
    }
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'false' }).tracing).toBeDefined();
  });

  it('refuses an endpoint that is not an http(s) URL, naming the variable', () => {
    for (const variable of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
      for (const bad of ['localhost:4318', 'collector', 'grpc://collector:4317', ' ']) {
        let err: unknown;
        try {
          loadConfig({ [variable]: bad });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(PantheonError);
        expect((err as PantheonError).type).toBe('config_invalid');
        expect((err as PantheonError).message).toBe(`environment variable ${variable}: must be an http(s) URL, such as http://localhost:4318`);
        expect((err as PantheonError).details).toEqual({ variable });
      }
    }
  });

  it('with OTEL_SDK_DISABLED=true, does not stop for a malformed endpoint it will never use', () => {
    for (const variable of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
      expect(loadConfig({ [variable]: 'localhost:4318', OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined();
    }
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318', OTEL_SDK_DISABLED: 'false' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it('logs an endpoint without its user, password or query', () => {
    expect(describeEndpoint('https://user:s3cret@otel.example.com:4318/v1/traces?token=abc')).toBe('https://otel.example.com:4318/v1/traces');
  });
});

describe("a process's tracing (openTracing)", () => {
  it('never fails the caller when the collector is down: the last spans are reported lost at release', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const warnings: string[] = [];
    const traced = await openTracing({ endpoint: `http://127.0.0.1:${port}/v1/traces` }, 'pantheon-worker', (m) => warnings.push(m));
    expect(traced?.tracing.serviceName).toBe('pantheon-worker');
    trace.getTracer('test').startSpan('lost').end();
    await expect(traced!.release()).resolves.toBeUndefined();
    expect(warnings.join('\n')).toMatch(/^spans not exported at shutdown: .*ECONNREFUSED/m);
    // Released by its last holder: the global API is back to recording nothing.
    expect(trace.getTracer('any').startSpan('any').isRecording()).toBe(false);
  });
});

describe('LLM call spans (budgeted client)', () => {
  const request: ChatRequest = chatRequest({ lineage: { rootTaskId: 'root-1', parentTaskId: 'root-1', spawnDepth: 1 }, lane: 'experimental' });
  const answer: ChatResult = {
    text: '{}',
    model: 'gpt-4.1-mini-2025-04-14',
    costUsd: 0.000123,
    latencyMs: 5,
    usage: { inputTokens: 30, cachedInputTokens: 10, cacheWriteTokens: 0, outputTokens: 60 },
  };
  let n = 0;

  /** A real SDK tracer whose spans stay in memory (not registered globally). */
  function traced(inner: LlmClient) {
    const exporter = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');
    const llm = createBudgetedLlmClient(inner, memoryGate().gate, () => `key-${++n}`, { tracing: { startLlmSpan: (r, reserved) => startLlmSpan(tracer, r, reserved) } });
    return { llm, spans: () => exporter.getFinishedSpans() };
  }

  it('records model, provider, tokens, cost and attribution of an answered call', async () => {
    const { llm, spans } = traced({ complete: async () => answer });
    await llm.complete(request);
    const [span] = spans();
    expect(spans()).toHaveLength(1);
    expect(span.name).toBe('chat gpt-4.1-mini');
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4.1-mini',
      'gen_ai.request.max_tokens': 700,
      'gen_ai.response.model': 'gpt-4.1-mini-2025-04-14',
      'gen_ai.usage.input_tokens': 40,
      'gen_ai.usage.output_tokens': 60,
      'pantheon.usage.cached_input_tokens': 10,
      'pantheon.tokens': 100,
      'pantheon.cost_usd': 0.000123,
      'pantheon.purpose': 'specialist',
      'pantheon.specialist': 'DatabaseAgent',
      'pantheon.task_id': 'task-1',
      'pantheon.root_task_id': 'root-1',
      'pantheon.lane': 'experimental',
      'pantheon.reserved_usd': worstCaseOf(request).usd,
      'pantheon.reserved_tokens': worstCaseOf(request).tokens,
      'pantheon.outcome': 'ok',
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('marks a refused call as an error that cost nothing (proved unbilled)', async () => {
    const refused = PantheonError.of('provider_unavailable', 'provider answered 503', { details: { billed: 'no' } });
    const { llm, spans } = traced({ complete: async () => Promise.reject(refused) });
    await expect(llm.complete(request)).rejects.toBe(refused);
    const [span] = spans();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'provider answered 503' });
    expect(span.attributes).toMatchObject({ 'error.type': 'provider_unavailable', 'pantheon.outcome': 'error', 'pantheon.billed': false, 'pantheon.cost_usd': 0, 'pantheon.tokens': 0 });
  });

  it('settles every call even when the tracer throws (a span never costs a reservation its end)', async () => {
    const broken = { startLlmSpan: () => ({ succeeded: () => { throw new Error('exporter bug'); }, failed: () => { throw new Error('exporter bug'); } }) };
    const failing = { startLlmSpan: (): never => { throw new Error('tracer gone'); } };
    for (const tracing of [broken, failing]) {
      const ledger = memoryGate();
      const llm = createBudgetedLlmClient({ complete: async (r) => (r.taskId === 'dies' ? Promise.reject(new Error('socket hang up')) : answer) }, ledger.gate, () => `key-${++n}`, { tracing });
      await expect(llm.complete(request)).resolves.toBe(answer);
      await expect(llm.complete({ ...request, taskId: 'dies' })).rejects.toThrow('socket hang up');
      await new Promise((resolve) => setImmediate(resolve)); // the answered call's settle leaves off its path
      expect(ledger.state.reservations).toEqual({});
      expect(ledger.state.tasks['task-1'].usd).toBeCloseTo(answer.costUsd, 12);
      expect(ledger.state.tasks.dies.usd).toBeCloseTo(worstCaseOf(request).usd, 12);
    }
  });

  it('charges a call that may have been billed (a timeout) its worst case, on the span as in the ledger', async () => {
    const timeout = PantheonError.of('provider_timeout', 'no answer within 60000 ms', { details: { billed: 'maybe' } });
    const { llm, spans } = traced({ complete: async () => Promise.reject(timeout) });
    await expect(llm.complete(request)).rejects.toBe(timeout);
    const worst = worstCaseOf(request);
    expect(spans()[0].attributes).toMatchObject({ 'error.type': 'provider_timeout', 'pantheon.billed': true, 'pantheon.cost_usd': worst.usd, 'pantheon.tokens': worst.tokens });
  });
});

describe('diagLine', () => {
  it("gives an exporter failure's message, not its JSON with the stack", () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4318'), { code: 'ECONNREFUSED' });
    const json = JSON.stringify({ stack: err.stack, message: err.message, code: 'ECONNREFUSED' });
    expect(diagLine(json)).toBe('connect ECONNREFUSED 127.0.0.1:4318');
    expect(diagLine(JSON.stringify({ stack: 'Error: timeout\n    at x (y.js:1:1)', code: 'ETIMEDOUT' }))).toBe('Error: timeout (ETIMEDOUT)');
    expect(diagLine('export failed', [err])).toBe('export failed connect ECONNREFUSED 127.0.0.1:4318');
    expect(diagLine('{not json')).toBe('{not json');
  });
});
