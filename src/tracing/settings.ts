/**
 * Tracing is opt-in through the standard OpenTelemetry variables (validated in src/config/env.ts):
 * with neither endpoint set, or OTEL_SDK_DISABLED=true, a process installs no tracer, no
 * interceptors and no span processor.
 */
export interface TracingSettings {
  /** The OTLP/HTTP traces URL spans are posted to (JSON). */
  endpoint: string;
  /** OTEL_SERVICE_NAME; undefined: the process's role names it (pantheon-worker, pantheon-client). */
  serviceName?: string;
}

export interface TracingEnv {
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_SERVICE_NAME?: string;
  OTEL_SDK_DISABLED?: string;
}

/** OTEL_SDK_DISABLED=true (any case, padded or not): no tracing, whatever else is set. */
export function tracingDisabled(env: Pick<TracingEnv, 'OTEL_SDK_DISABLED'>): boolean {
  return env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
}

/**
 * The traces URL as the OpenTelemetry specification resolves it: the signal-specific variable as
 * given, else the base endpoint with `/v1/traces` appended to its path.
 *
 * @example tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }) // { endpoint: 'http://collector:4318/v1/traces' }
 */
export function tracingSettings(env: TracingEnv): TracingSettings | undefined {
  if (tracingDisabled(env)) return undefined;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!endpoint) return undefined;
  return { endpoint, serviceName: env.OTEL_SERVICE_NAME };
}

/** The endpoint fit for a log line: no user, password or query (a token may ride in any of them). */
export function describeEndpoint(endpoint: string): string {
  const url = new URL(endpoint);
  return `${url.protocol}//${url.host}${url.pathname}`;
}
