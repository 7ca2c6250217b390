import { context, diag, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AsyncLocalContextManager } from './context-manager';
import { tracedClientInterceptors, tracedWorkerOptions } from './interceptors';
import { startLlmSpan } from './llm-span';
import type { TracingSettings } from './settings';
import type { Tracing, TracingHandle, TracingRole } from './types';

/**
 * The OpenTelemetry SDK for one process (loaded by open.ts only): every span (client, activity,
 * workflow through its sink, LLM call) goes through one batch processor to the OTLP/HTTP endpoint.
 * OpenTelemetry's tracer provider, propagator and context manager are process-wide: so is this.
 */
let active: { tracing: Tracing; provider: BasicTracerProvider; holders: number; warn?: (message: string) => void } | undefined;

function start(settings: TracingSettings, role: TracingRole, warn?: (message: string) => void): NonNullable<typeof active> {
  const serviceName = settings.serviceName ?? role;
  // OTEL_RESOURCE_ATTRIBUTES (deployment.environment, say) join the default resource.
  const resource = Resource.default().merge(envDetectorSync.detect()).merge(new Resource({ 'service.name': serviceName }));
  // The exporter also reads OTEL_EXPORTER_OTLP_HEADERS / _TIMEOUT / _COMPRESSION itself; the URL is ours.
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.endpoint }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // Global: the Temporal interceptors take the tracer and the W3C propagator from the API.
  provider.register({ contextManager: new AsyncLocalContextManager() });
  // A collector that refuses or is down is reported, never thrown into the traced work.
  if (warn) {
    const line = (message: string, ...args: unknown[]) => warn(diagLine(message, args));
    diag.setLogger({ error: line, warn: line, info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.WARN);
  }
  const tracer = provider.getTracer('pantheon');
  const tracing: Tracing = {
    serviceName,
    endpoint: settings.endpoint,
    clientInterceptors: tracedClientInterceptors,
    workerOptions: (bundled) => tracedWorkerOptions(spanProcessor, resource, bundled),
    startLlmSpan: (request, reserved) => startLlmSpan(tracer, request, reserved),
  };
  return { tracing, provider, holders: 0, warn };
}

/** This process's tracing, started by its first holder (see openTracing). */
export function acquireTracing(settings: TracingSettings, role: TracingRole, warn?: (message: string) => void): TracingHandle {
  active ??= start(settings, role, warn);
  const held = active;
  held.holders += 1;
  let released = false;
  return {
    tracing: held.tracing,
    async release() {
      if (released) return;
      released = true;
      held.holders -= 1;
      if (held.holders > 0 || active !== held) return;
      active = undefined;
      try {
        // Flushes the batch processor: the spans of the last seconds reach the collector.
        await held.provider.shutdown();
      } catch (err) {
        // A collector that is down costs the last spans, never the command or the worker's exit.
        held.warn?.(`spans not exported at shutdown: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
        diag.disable();
      }
    },
  };
}

/**
 * One line of an OpenTelemetry diagnostic: the SDK's error handler hands over an error as JSON,
 * stack and all (`{"stack":"Error: connect ECONNREFUSED …\n    at …","message":…}`); a log line
 * wants its message (and code).
 */
export function diagLine(message: string, args: readonly unknown[] = []): string {
  const part = (p: unknown): string => {
    if (p instanceof Error) return p.message;
    if (typeof p !== 'string') return '';
    const text = p.trim();
    if (!text.startsWith('{')) return p;
    try {
      const o = JSON.parse(text) as { message?: unknown; stack?: unknown; code?: unknown };
      const said = typeof o.message === 'string' && o.message ? o.message : typeof o.stack === 'string' ? o.stack.split('\n')[0] : undefined;
      if (said) return typeof o.code === 'string' && !said.includes(o.code) ? `${said} (${o.code})` : said;
    } catch {
      // Not JSON after all: as given.
    }
    return p;
  };
  return [message, ...args].map(part).filter(Boolean).join(' ');
}
