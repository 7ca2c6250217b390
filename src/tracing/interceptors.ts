import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ClientInterceptors } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks, WorkerOptions } from '@temporalio/worker';
import { workflowTracingModule } from './bundle';

/** The Temporal interceptors take their tracers and the propagator from the global API (tracing.ts registers them). */
export function tracedClientInterceptors(): ClientInterceptors {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}

export function tracedWorkerOptions(spanProcessor: SpanProcessor, resource: Resource, bundled: boolean): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  // Workflow spans end inside the sandbox and cross over through this sink (outside replay only).
  const sinks: InjectedSinks<OpenTelemetrySinks> = { exporter: makeWorkflowExporter(spanProcessor, resource) };
  return {
    interceptors: {
      // Outbound: the SDK's activity log lines (Context.log) carry the trace and span ids.
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
      ...(bundled ? {} : { workflowModules: [workflowTracingModule()] }),
    },
    sinks,
  };
}
