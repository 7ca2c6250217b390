import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { z } from 'zod';
import { ADMIN_PREFIX, handleAdmin, type AdminControls } from './admin';
import { CallLog, type CallRecord } from './calls';
import { FaultBook, parseFaultRule, parseFaultRules, type FaultRule } from './faults';
import { handleEmbeddings } from './embeddings';
import { BodyTooLarge, readBody, sendJson } from './http';
import { describeIssues } from './issues';
import { handleLlm, type LlmDeps } from './llm-handler';
import { createPrng, deriveSeed } from './prng';
import { parseScenario, ScenarioBook, type Scenario } from './scenario';
import { anthropicWire } from './wire-anthropic';
import { openaiWire } from './wire-openai';

/**
 * The offline LLM provider: a local HTTP server that speaks the OpenAI and Anthropic wire formats
 * well enough for the official SDKs to use it unchanged, with deterministic answers, honest token
 * usage, and injectable faults and latency.
 */

export interface OfflineProviderOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  latencyMs?: number;
  /** Each answer waits latencyMs plus a seeded uniform draw in [0, jitterMs]. */
  jitterMs?: number;
  /** Seeds fault probabilities and jitter; the same seed replays the same run. */
  seed?: number;
  faults?: FaultRule[];
  /** Per-specialist success rates and cost factors by task kind (scenario.ts); none by default. */
  scenario?: Scenario;
}

export interface OfflineProvider {
  /** e.g. http://127.0.0.1:PORT — OpenAI clients use `${url}/v1`, Anthropic clients `url`. */
  readonly url: string;
  /** Stops the server and destroys every open socket, hanging requests included. */
  close(): Promise<void>;
  setFaults(rules: FaultRule[]): void;
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  faults(): FaultRule[];
  calls(): CallRecord[];
  resetCalls(): void;
  setLatency(latencyMs: number, jitterMs?: number): void;
  scenario(): Scenario | undefined;
  /** Replaces the scenario (undefined removes it); takes effect from the next call. */
  setScenario(scenario: Scenario | undefined): void;
}

export const DEFAULT_SEED = 1;

const Millis = z.number().int().min(0);
const OptionsSchema = z.object({
  port: z.number().int().min(0).max(65535).optional(),
  host: z.string().min(1).optional(),
  latencyMs: Millis.optional(),
  jitterMs: Millis.optional(),
  seed: z.number().int().optional(),
  faults: z.array(z.unknown()).optional(),
  scenario: z.unknown().optional(),
});

function checkLatency(latencyMs: number, jitterMs: number): void {
  const check = z.object({ latencyMs: Millis, jitterMs: Millis }).safeParse({ latencyMs, jitterMs });
  if (!check.success) throw new Error(`invalid latency: ${describeIssues(check.error)}`);
}

function urlFor(host: string, port: number): string {
  // A wildcard address is where to listen, not where to connect.
  const connectHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${connectHost.includes(':') ? `[${connectHost}]` : connectHost}:${port}`;
}

export async function startOfflineProvider(options: OfflineProviderOptions = {}): Promise<OfflineProvider> {
  const checked = OptionsSchema.safeParse(options);
  if (!checked.success) throw new Error(`invalid offline provider options: ${describeIssues(checked.error)}`);
  const seed = options.seed ?? DEFAULT_SEED;
  const host = options.host ?? '127.0.0.1';
  const faults = new FaultBook(seed);
  faults.replace(parseFaultRules(options.faults ?? [], 'faults'));
  const log = new CallLog();
  const scenario = new ScenarioBook(options.scenario === undefined ? undefined : parseScenario(options.scenario, 'scenario'));
  let latency = { latencyMs: options.latencyMs ?? 0, jitterMs: options.jitterMs ?? 0 };
  const jitter = createPrng(deriveSeed(seed, 'latency'));

  let closed = false;
  const sockets = new Set<Socket>();
  const pending = new Map<NodeJS.Timeout, () => void>();

  const sleep = (ms: number): Promise<boolean> => {
    if (closed) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(timer);
        resolve(!closed);
      }, ms);
      pending.set(timer, () => resolve(false));
    });
  };

  const controls: AdminControls = {
    calls: () => log.list(),
    resetCalls: () => log.reset(),
    faults: () => faults.list(),
    setFaults: (rules) => faults.replace(parseFaultRules(rules, 'faults')),
    addFault: (rule) => faults.add(parseFaultRule(rule, 'fault')),
    clearFaults: () => faults.clear(),
    latency: () => ({ ...latency }),
    setLatency: (latencyMs, jitterMs = 0) => {
      checkLatency(latencyMs, jitterMs);
      latency = { latencyMs, jitterMs };
    },
    scenario: () => scenario.get(),
    setScenario: (next) => scenario.set(next),
  };

  const server = createServer();
  const deps: LlmDeps = {
    faults,
    scenario,
    log,
    instance: '',
    nextLatencyMs: () => latency.latencyMs + Math.floor(jitter() * (latency.jitterMs + 1)),
    sleep,
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://offline').pathname;
    if (method === 'GET' && path === '/health') return sendJson(res, 200, { ok: true });
    const body = await readBody(req);
    if (path.startsWith(ADMIN_PREFIX)) {
      const answer = handleAdmin(method, path, body, controls);
      return sendJson(res, answer.status, answer.body);
    }
    if (method === 'POST' && path === '/v1/chat/completions') return handleLlm(req, res, openaiWire, body, deps);
    if (method === 'POST' && path === '/v1/messages') return handleLlm(req, res, anthropicWire, body, deps);
    if (method === 'POST' && path === '/v1/embeddings') return handleEmbeddings(req, res, body);
    const wire = path.includes('/chat/') ? openaiWire : anthropicWire;
    const error = wire.error('not_found', 'req_offline_404', { message: `Unknown request URL: ${method} ${path}` });
    sendJson(res, error.status, error.body, error.headers);
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    route(req, res).catch((err: unknown) => {
      const tooLarge = err instanceof BodyTooLarge;
      const message = err instanceof Error ? err.message : String(err);
      sendJson(res, tooLarge ? 413 : 500, { error: { type: tooLarge ? 'request_too_large' : 'api_error', message } });
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  deps.instance = `${port.toString(36)}${(Date.now() % 46656).toString(36)}`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      closed = true;
      for (const [timer, cancel] of pending) {
        clearTimeout(timer);
        cancel();
      }
      pending.clear();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  };

  return {
    url: urlFor(host, port),
    close,
    setFaults: controls.setFaults,
    addFault: controls.addFault,
    clearFaults: controls.clearFaults,
    faults: controls.faults,
    calls: controls.calls,
    resetCalls: controls.resetCalls,
    setLatency: controls.setLatency,
    scenario: controls.scenario,
    setScenario: controls.setScenario,
  };
}
