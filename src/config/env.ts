import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { PantheonError } from '../errors';
import { repoRoot } from './paths';
import { loadKeyring, type CodecKeyring } from '../codec/keys';
import { loadTemporalConnection, type TemporalConnection } from './temporal-connection';
import { tracingDisabled, tracingSettings, type TracingSettings } from '../tracing/settings';
import { GUARDED_VARIABLES, notASetting, unknownVariables, VARIABLES_BEYOND_ENV } from './unknown-variables';

/** OpenTelemetry's rule for its own variables: set but empty is the same as unset. */
const otel = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
/** A number variable, set but blank read as unset (its default), as the OpenTelemetry rule and
 * `npm run provider`'s own numbers have it: z.coerce.number turns '' into 0, so
 * `PANTHEON_CODEC_PORT=` listened on a random port. Text that is no number is refused quoting it,
 * as `npm run provider`'s are: z.coerce.number said only "expected number, received NaN". */
const numeric = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v, ctx) => {
    if (typeof v !== 'string') return v;
    if (v.trim() === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) ctx.addIssue({ code: 'custom', message: `must be a number (got "${v}")` });
    return n;
  }, schema);
/** In the words the other settings use, not zod's ("expected int, received number"). */
const WHOLE = 'must be a whole number';

/** The OTLP exporter speaks HTTP: `localhost:4318` (no scheme) would otherwise parse as a URL. */
const OtlpUrl = z.string().url({ protocol: /^https?$/, error: 'must be an http(s) URL, such as http://localhost:4318' });

/** An http(s) URL. A bare `host:port` parses as a URL whose scheme is the host ("localhost:"), and
 * every call to it would then fail far from here (after paid retries, for a provider). */
const HttpUrl = (example: string) => z.string().url({ protocol: /^https?$/, error: `must be an http(s) URL, such as ${example}` });

/** A DNS host name (letters, digits, hyphens; dot-separated labels): no scheme, no port. */
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

/** A free-text setting (a path, a host, a key): set but blank, empty or only spaces, is refused as
 * empty always was. Unset is how to ask for the default: `PANTHEON_MEMORY_FILE='  '` opened a store
 * named by two spaces in the working folder, and `PANTHEON_CODEC_CORS_ORIGINS=' '` let no origin in. */
const Text = z.string().refine((v) => v.trim() !== '', 'must not be blank (set but empty or only spaces): unset it for the default, or give a value');

/** The entries of a comma-separated list, trimmed, the empty ones left out. */
const entries = (v: string): string[] => v.split(',').map((e) => e.trim()).filter(Boolean);

/** A name (a task queue, a workflow id): blank or padded with spaces is a typo, never a name. */
const Name = z
  .string()
  .min(1)
  .refine((v) => v.trim().length > 0 && v.trim() === v, 'must not be blank or start or end with spaces');

const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** A Temporal duration such as 15m or 1d, at least `minMs` (a Schedule's interval must be). */
const Duration = (example: string, minMs: number) =>
  z
    .string()
    .regex(/^\d+(ms|s|m|h|d)$/, `must be a duration such as ${example}`)
    .refine((v) => {
      // Not a duration at all: the format's own message says so.
      const m = /^(\d+)(ms|s|m|h|d)$/.exec(v);
      return !m || Number(m[1]) * DURATION_UNIT_MS[m[2]] >= minMs;
    }, `must be at least ${minMs / 1000} s`);

/**
 * Every setting Pantheon reads from the environment, validated once. A bad value stops the
 * process with an error naming the variable.
 */
const Env = z.object({
  // The connection (these two, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE, TEMPORAL_API_KEY,
  // TEMPORAL_TLS*) is read the SDK's way, profile file included: ./temporal-connection.ts.
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: Name.optional(),
  TEMPORAL_UI_URL: HttpUrl('http://localhost:8233').optional(),
  PANTHEON_TASK_QUEUE: Name.default('pantheon-tasks'),
  /** Where the budget ledger workflow runs; apart from tasks so it outlives a draining worker. */
  PANTHEON_BUDGET_TASK_QUEUE: Name.default('pantheon-budget'),
  /** The budget ledger's workflow id (default pantheon-budget-ledger): workers reserve against it, `pantheon budget` reads it. */
  PANTHEON_LEDGER_ID: Name.pipe(z.string().max(200)).optional(),
  /** on (default): a worker grants its calls from leases it holds in the ledger, without a round
   * trip per call (src/budget/gate-leases.ts); off: every call reserves in the ledger. */
  PANTHEON_BUDGET_LEASES: z.enum(['on', 'off']).default('on'),
  /** The God orchestrator's workflow id (one God per namespace): `npm run god` starts it, `pantheon god` and `pantheon submit` talk to it. */
  PANTHEON_GOD_ID: Name.pipe(z.string().max(200)).default('pantheon-god'),
  /** offline: the offline provider answers everything. live: only providers with a key are called.
   * auto (default): offline when no provider key is set at all, else live. See src/llm/provider-modes.ts. */
  PANTHEON_LLM_MODE: z.enum(['auto', 'offline', 'live']).default('auto'),
  PANTHEON_OFFLINE_URL: HttpUrl('http://127.0.0.1:8787').optional(),
  // At most an hour: Node's timers overflow past ~24.8 days and then fire at once.
  PANTHEON_LLM_TIMEOUT_MS: numeric(z.coerce.number().int(WHOLE).positive('must be more than 0').max(3_600_000, 'must be at most 3600000 (an hour)').default(60_000)),
  /** Latency of the offline provider a worker starts itself; lets progress be watched. */
  PANTHEON_OFFLINE_LATENCY_MS: numeric(z.coerce.number().int(WHOLE).min(0, 'must be 0 or more').default(0)),
  OPENAI_API_KEY: Text.optional(),
  /** The API root of an OpenAI-compatible endpoint, with or without the trailing /v1. */
  OPENAI_BASE_URL: HttpUrl('https://gateway.example.com/v1').optional(),
  ANTHROPIC_API_KEY: Text.optional(),
  /** The API root of an Anthropic-compatible endpoint, with or without the trailing /v1. */
  ANTHROPIC_BASE_URL: HttpUrl('https://gateway.example.com').optional(),
  PANTHEON_MEMORY: z.enum(['sqlite', 'qdrant']).default('sqlite'),
  PANTHEON_MEMORY_FILE: Text.optional(),
  QDRANT_URL: HttpUrl('http://localhost:6333').optional(),
  QDRANT_API_KEY: Text.optional(),
  /** How memory turns text into vectors: hashing (offline, no key, the default) or openai (the
   * OpenAI embeddings API, paid through the budget ledger). A store keeps the space it was built with. */
  PANTHEON_EMBEDDER: z.enum(['hashing', 'openai']).default('hashing'),
  PANTHEON_EMBEDDING_MODEL: Text.default('text-embedding-3-small'),
  /** Shortened OpenAI vectors (the API's `dimensions`); default the model's full size. */
  PANTHEON_EMBEDDING_DIMENSIONS: numeric(z.coerce.number().int(WHOLE).min(8, 'must be at least 8').max(3072, 'must be at most 3072').optional()),
  PANTHEON_ROSTER_DIR: Text.optional(),
  /** A prebuilt workflow bundle (bundleWorkflowCode output); skips bundling at worker start. */
  PANTHEON_WORKFLOW_BUNDLE: Text.optional(),
  PANTHEON_ALERT_WEBHOOK_URL: HttpUrl('https://hooks.example.com/pantheon').optional(),
  /** How often the stale-task sweeper runs, as a Temporal duration. */
  PANTHEON_SWEEP_EVERY: Duration('15m or 1h', 1000).default('15m'),
  PANTHEON_STALE_POLICY: z.enum(['flag', 'requeue', 'cancel']).default('flag'),
  /** How often the memory consolidation workflow merges and retires lessons, as a Temporal duration. */
  PANTHEON_CONSOLIDATE_EVERY: Duration('1d or 12h', 1000).default('1d'),
  /** Payload encryption keys, `id:base64key` comma-separated; the last one listed encrypts. Opt-in. */
  PANTHEON_CODEC_KEYS: Text.optional(),
  /** The same list in a file (one `id:base64key` a line), instead of PANTHEON_CODEC_KEYS. */
  PANTHEON_CODEC_KEY_FILE: Text.optional(),
  /** `npm run codec-server` binds here; 127.0.0.1 keeps decrypted payloads off the network. */
  PANTHEON_CODEC_HOST: Text.default('127.0.0.1'),
  PANTHEON_CODEC_PORT: numeric(z.coerce.number().int(WHOLE).min(0, 'must be 0 or more').max(65535, 'must be at most 65535').default(8888)),
  /** Browser origins the codec server answers (comma-separated); default the Web UI's (TEMPORAL_UI_URL). */
  PANTHEON_CODEC_CORS_ORIGINS: Text.refine(
    // A list of commas alone names none: refused, not read as "no origin at all".
    (v) => entries(v).length > 0 && entries(v).every((o) => /^https?:\/\/[^/\s]+\/?$/.test(o)),
    'must be comma-separated origins, each scheme://host[:port], such as http://localhost:8233',
  ).optional(),
  /** Host names the codec server answers besides localhost, 127.0.0.1, ::1 and PANTHEON_CODEC_HOST
   * (comma-separated): a proxy's name, or this machine's when it binds 0.0.0.0. */
  PANTHEON_CODEC_ALLOWED_HOSTS: Text.refine(
    (v) => entries(v).length > 0 && entries(v).every((h) => isIP(h.replace(/^\[(.*)\]$/, '$1')) !== 0 || HOST_NAME.test(h)),
    'must be comma-separated host names or addresses, without scheme or port, such as codec.internal,10.0.0.5',
  ).optional(),
  /** Opt-in Prometheus endpoint of worker processes, host:port (e.g. 127.0.0.1:9464); scraped at /metrics. */
  PANTHEON_METRICS_ADDRESS: z
    .string()
    .refine(
      (v) => {
        const m = /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]|localhost):(\d{1,5})$/i.exec(v);
        return !!m && Number(m[1]) >= 1 && Number(m[1]) <= 65535 && v.split(':')[0].split('.').every((part) => !/^\d+$/.test(part) || Number(part) <= 255);
      },
      // The exporter binds a socket address: a host name other than localhost is not resolved.
      'must be ip:port (or localhost:port) with a port from 1 to 65535, such as 127.0.0.1:9464 or 0.0.0.0:9464',
    )
    .optional(),
  /** Opt-in tracing (the OpenTelemetry names): the OTLP/HTTP traces URL, used as given. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otel(OtlpUrl),
  /** The collector's base URL; traces go to its /v1/traces. The one above wins when both are set. */
  OTEL_EXPORTER_OTLP_ENDPOINT: otel(OtlpUrl),
  /** The service.name of this process's spans; default pantheon-worker (workers) or pantheon-client. */
  OTEL_SERVICE_NAME: otel(z.string()),
  /** `true` turns tracing off even with an endpoint set (one inherited from the platform, say). */
  OTEL_SDK_DISABLED: otel(z.string()),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  PANTHEON_LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
});

/** Every PANTHEON_ variable Pantheon reads, here or elsewhere: any other is a misspelling or a leftover. */
export const KNOWN_VARIABLES: readonly string[] = [...Object.keys(Env.shape).filter((name) => name.startsWith('PANTHEON_')), ...VARIABLES_BEYOND_ENV];

/** Names already warned of: a process may load its config more than once. */
const warnedOf = new Set<string>();

/**
 * Warns on stderr, once per process and name, of each PANTHEON_ variable Pantheon does not read,
 * with the name it likely means; refuses (config_invalid) one that looks like a misspelt
 * GUARDED_VARIABLES name. Names only: a value may be a secret.
 */
export function checkVariableNames(env: NodeJS.ProcessEnv = process.env): void {
  const unknown = unknownVariables(env, KNOWN_VARIABLES);
  const refused = unknown.find((variable) => variable.refused);
  if (refused) {
    throw PantheonError.of(
      'config_invalid',
      `environment variable ${notASetting(refused)}; refused rather than ignored, as a misspelt ${GUARDED_VARIABLES.join(' or ')} can leave task payloads unencrypted: rename or unset it`,
      { details: { variable: refused.name } },
    );
  }
  for (const variable of unknown) {
    if (warnedOf.has(variable.name)) continue;
    warnedOf.add(variable.name);
    process.stderr.write(`warning: ${notASetting(variable)}; it is ignored\n`);
  }
}

export interface PantheonConfig {
  temporal: {
    /** The server (env or profile); undefined: none configured. Mirrors `connection.address`. */
    address?: string;
    namespace: string;
    /** Address, namespace, API key and TLS as every Connection/NativeConnection opens them. */
    connection: TemporalConnection;
    uiUrl: string;
    taskQueue: string;
    budgetTaskQueue: string;
  };
  /** Undefined: the default ledger, BUDGET_LEDGER_ID. */
  budget: { ledgerId?: string; leases: boolean };
  god: { id: string };
  llm: {
    mode: 'auto' | 'offline' | 'live';
    offlineUrl?: string;
    offlineLatencyMs: number;
    timeoutMs: number;
    openai: { apiKey?: string; baseURL?: string };
    anthropic: { apiKey?: string; baseURL?: string };
  };
  memory: { kind: 'sqlite'; file: string } | { kind: 'qdrant'; url: string; apiKey?: string };
  /** The memory store's embedder (src/memory/open-embedder.ts). */
  embedding: { kind: 'hashing' } | { kind: 'openai'; model: string; dimensions?: number };
  rosterDir: string;
  workflowBundlePath?: string;
  log: { level: string; pretty: boolean };
  alertWebhookUrl?: string;
  sweeper: { every: string; policy: 'flag' | 'requeue' | 'cancel' };
  /** The memory consolidation Schedule (src/client/consolidation-schedule.ts). */
  consolidation: { every: string };
  /** Payload encryption: `keys` undefined means payloads stay plaintext. */
  codec: { keys?: CodecKeyring; host: string; port: number; corsOrigins: string[]; allowedHosts: string[] };
  /** The Runtime's Prometheus endpoint (host:port); undefined: no metrics endpoint. */
  metrics: { address?: string };
  /** Where this process sends OpenTelemetry traces; undefined: no tracing at all (no interceptors, no spans). */
  tracing?: TracingSettings;
}

/**
 * The environment as Env should judge it: with tracing disabled the OTLP endpoints are never used,
 * so one inherited from the platform, however malformed, must not stop the process.
 */
function judged(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!tracingDisabled(env)) return env;
  return { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined };
}

/**
 * `env` with a caller's own defaults for the variables it leaves unset or blank (blank is unset, as
 * for the numbers above): `npm start`'s offline latency, say.
 *
 * @example loadConfig(withDefaults(process.env, { PANTHEON_OFFLINE_LATENCY_MS: '150' }))
 */
export function withDefaults(env: NodeJS.ProcessEnv, defaults: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const filled = { ...env };
  for (const [name, value] of Object.entries(defaults)) if (!env[name]?.trim()) filled[name] = value;
  return filled;
}

/** The configuration `env` sets; see {@link checkVariableNames} for PANTHEON_ names it does not know. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): PantheonConfig {
  checkVariableNames(env);
  const parsed = Env.safeParse(judged(env));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw PantheonError.of('config_invalid', `environment variable ${issue.path.join('.')}: ${issue.message}`, {
      details: { variable: issue.path.join('.') },
    });
  }
  const e = parsed.data;
  if (e.PANTHEON_MEMORY === 'qdrant' && !e.QDRANT_URL) {
    throw PantheonError.of('config_invalid', 'environment variable QDRANT_URL: required when PANTHEON_MEMORY=qdrant', {
      details: { variable: 'QDRANT_URL' },
    });
  }
  const uiUrl = (e.TEMPORAL_UI_URL ?? 'http://localhost:8233').replace(/\/$/, '');
  const connection = loadTemporalConnection(env);
  return {
    temporal: {
      address: connection.address,
      namespace: connection.namespace,
      connection,
      uiUrl: (e.TEMPORAL_UI_URL ?? 'http://localhost:8233').replace(/\/$/, ''),
      taskQueue: e.PANTHEON_TASK_QUEUE,
      budgetTaskQueue: e.PANTHEON_BUDGET_TASK_QUEUE,
    },
    budget: { ledgerId: e.PANTHEON_LEDGER_ID, leases: e.PANTHEON_BUDGET_LEASES === 'on' },
    god: { id: e.PANTHEON_GOD_ID },
    llm: {
      mode: e.PANTHEON_LLM_MODE,
      offlineUrl: e.PANTHEON_OFFLINE_URL,
      offlineLatencyMs: e.PANTHEON_OFFLINE_LATENCY_MS,
      timeoutMs: e.PANTHEON_LLM_TIMEOUT_MS,
      openai: { apiKey: e.OPENAI_API_KEY, baseURL: e.OPENAI_BASE_URL },
      anthropic: { apiKey: e.ANTHROPIC_API_KEY, baseURL: e.ANTHROPIC_BASE_URL },
    },
    memory:
      e.PANTHEON_MEMORY === 'qdrant'
        ? { kind: 'qdrant', url: e.QDRANT_URL!, apiKey: e.QDRANT_API_KEY }
        : { kind: 'sqlite', file: e.PANTHEON_MEMORY_FILE ?? path.join(repoRoot(), '.data', 'memory.sqlite') },
    embedding: e.PANTHEON_EMBEDDER === 'openai' ? { kind: 'openai', model: e.PANTHEON_EMBEDDING_MODEL, dimensions: e.PANTHEON_EMBEDDING_DIMENSIONS } : { kind: 'hashing' },
    rosterDir: e.PANTHEON_ROSTER_DIR ?? path.join(repoRoot(), 'agents'),
    workflowBundlePath: e.PANTHEON_WORKFLOW_BUNDLE,
    alertWebhookUrl: e.PANTHEON_ALERT_WEBHOOK_URL,
    sweeper: { every: e.PANTHEON_SWEEP_EVERY, policy: e.PANTHEON_STALE_POLICY },
    consolidation: { every: e.PANTHEON_CONSOLIDATE_EVERY },
    codec: {
      keys: loadKeyring(e),
      host: e.PANTHEON_CODEC_HOST,
      port: e.PANTHEON_CODEC_PORT,
      corsOrigins: e.PANTHEON_CODEC_CORS_ORIGINS ? entries(e.PANTHEON_CODEC_CORS_ORIGINS) : [new URL(uiUrl).origin],
      allowedHosts: e.PANTHEON_CODEC_ALLOWED_HOSTS ? entries(e.PANTHEON_CODEC_ALLOWED_HOSTS) : [],
    },
    metrics: { address: e.PANTHEON_METRICS_ADDRESS },
    tracing: tracingSettings(e),
    log: { level: e.LOG_LEVEL, pretty: (e.PANTHEON_LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json')) === 'pretty' },
  };
}

/** Whether the offline server answers under this configuration: asked for, or no key set at all. */
export function needsOfflineProvider(config: PantheonConfig): boolean {
  if (config.llm.mode === 'offline') return true;
  if (config.llm.mode === 'live') return false;
  return !config.llm.openai.apiKey && !config.llm.anthropic.apiKey;
}
