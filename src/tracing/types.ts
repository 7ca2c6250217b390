import type { ClientInterceptors } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { ChatRequest, ChatResult } from '../llm/types';

/**
 * What a traced process hands to its clients, workers and LLM calls. Types only: the
 * OpenTelemetry SDK loads (src/tracing/open.ts) only in a process that traces.
 */
export interface Tracing {
  serviceName: string;
  /** The OTLP/HTTP traces URL. */
  endpoint: string;
  /** Client interceptors: starting, signalling, updating and querying workflows are spans whose
   * context travels in the call's headers, so the workflow's spans join the caller's trace. */
  clientInterceptors(): ClientInterceptors;
  /**
   * Worker options: a RunActivity span around every activity and the sink through which the
   * workflow sandbox hands over its spans. `bundled`: the workflows come as a prebuilt bundle,
   * which must already hold workflowTracingModule() (src/tracing/bundle.ts); otherwise the
   * worker bundles it in.
   */
  workerOptions(bundled: boolean): Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** One span per model call, under the active span (the activity's). */
  startLlmSpan(request: ChatRequest, reserved: { usd: number; tokens: number }): LlmSpan;
}

export interface LlmSpan {
  /** The call answered: the model that answered, its usage and its priced cost. */
  succeeded(result: ChatResult): void;
  /** The call failed. `charged` is what the ledger is told it cost: the worst case held when it
   * may have been billed, nothing when the failure proves it was not. */
  failed(err: unknown, charged: { billed: boolean; usd: number; tokens: number }): void;
}

export interface TracingHandle {
  tracing: Tracing;
  /** Let go of the process's tracing; the last holder flushes the spans and shuts the exporter down. */
  release(): Promise<void>;
}

/** The service.name a process gets when OTEL_SERVICE_NAME is unset. */
export type TracingRole = 'pantheon-worker' | 'pantheon-client';
