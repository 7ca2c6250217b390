import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../../src/runtime/http-body';

/**
 * A minimal OTLP/HTTP trace collector: accepts POST /v1/traces in the JSON encoding (what
 * @opentelemetry/exporter-trace-otlp-http sends) and keeps every span, flattened.
 */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** service.name of the resource the span came with. */
  service: string;
  attributes: Record<string, string | number | boolean>;
  status: { code?: number; message?: string };
}

export interface OtlpReceiver {
  /** The base URL (OTEL_EXPORTER_OTLP_ENDPOINT); traces are posted to its /v1/traces. */
  url: string;
  spans(): ReceivedSpan[];
  /** Each request's path and content-type, in arrival order. */
  requests(): { path: string; contentType: string }[];
  close(): Promise<void>;
}

interface AnyValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
}
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: KeyValue[];
  status?: { code?: number; message?: string };
}
interface ExportRequest {
  resourceSpans: { resource?: { attributes?: KeyValue[] }; scopeSpans: { spans?: OtlpSpan[] }[] }[];
}

function attributesOf(list: KeyValue[] = []): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list) {
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
  }
  return out;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: { path: string; contentType: string }[] = [];
  const server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '' });
    readBody(req, 50 * 1024 * 1024).then(
      (body) => {
        if (req.method !== 'POST' || req.url !== '/v1/traces' || req.headers['content-type'] !== 'application/json') {
          res.writeHead(415).end();
          return;
        }
        const request = JSON.parse(body) as ExportRequest;
        for (const { resource, scopeSpans } of request.resourceSpans) {
          const service = String(attributesOf(resource?.attributes)['service.name']);
          for (const scope of scopeSpans) {
            for (const s of scope.spans ?? []) {
              spans.push({
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId || undefined,
                name: s.name,
                service,
                attributes: attributesOf(s.attributes),
                status: s.status ?? {},
              });
            }
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      },
      () => res.writeHead(400).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...spans],
    requests: () => [...requests],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
