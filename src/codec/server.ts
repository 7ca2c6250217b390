import http from 'node:http';
import { BodyTooLarge, readBody } from '../runtime/http-body';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { KEY_ID_METADATA } from './aes-gcm-codec';
import { contentTypeRefusal, hostRefusal, LOOPBACK_HOSTS, normaliseHost, type Refusal } from './request-guard';
import { isUnreadablePayload } from './unreadable';

/**
 * The codec server protocol the Temporal Web UI and CLI (`--codec-endpoint`) speak: POST
 * `<endpoint>/encode` or `<endpoint>/decode` with `{"payloads":[{"metadata":{k: base64}, "data": base64}]}`
 * (protobuf JSON of Payloads), answered in the same shape.
 */
// As protobuf's JSON parser, unknown fields are refused: `{"payload":[…]}` is a typo, not an empty list.
const JsonPayloads = z.strictObject({
  // proto3 JSON leaves an empty list out: `{}` is an empty Payloads (a query or signal without
  // arguments), which the CLI sends and must get `{"payloads":[]}` back.
  payloads: z
    .array(
      z.object({
        metadata: z.record(z.string(), z.string()).nullish(),
        data: z.string().nullish(),
      }),
    )
    .nullish()
    .transform((list) => list ?? []),
});
type JsonPayload = z.infer<typeof JsonPayloads>['payloads'][number];

// Temporal refuses payloads over 2 MB; a batch of them fits well below this.
const MAX_BODY_BYTES = 16 * 1024 * 1024;

function fromJson(p: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = Buffer.from(v, 'base64');
  return { metadata, data: Buffer.from(p.data ?? '', 'base64') };
}

function toJson(p: Payload): { metadata: Record<string, string>; data: string } {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) if (v) metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') };
}

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Default 127.0.0.1: decrypted payloads must not be offered to the network by accident. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Browser origins allowed to call (the Web UI's, e.g. http://localhost:8233). */
  corsOrigins: string[];
  /** Host names it answers besides the loopback's and `host` (a proxy's, this machine's). */
  allowedHosts?: string[];
  /** Told about each failed request (never with payload contents). */
  onError?: (err: unknown, path: string) => void;
  /** Told of the payloads a /decode left encoded, for want of their key (ids and reasons only). */
  onLeftEncoded?: (left: LeftEncoded[], path: string) => void;
}

/** A payload /decode answered as it came: its key id (from its metadata) and why. */
export interface LeftEncoded {
  keyId: string;
  reason: string;
}

export interface CodecServer {
  /** http://host:port, what `--codec-endpoint` and the Web UI want. */
  url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function corsHeaders(req: http.IncomingMessage, allowed: ReadonlySet<string>): Record<string, string> {
  const origin = req.headers.origin;
  if (!origin || !allowed.has(origin)) return {};
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization',
    // The Web UI's "include cross-origin credentials" setting sends cookies.
    'Access-Control-Allow-Credentials': 'true',
    Vary: 'Origin',
  };
}

/** Which codec operation a path asks for; a prefix (e.g. a namespace) before it is allowed. */
function operation(url: string | undefined): 'encode' | 'decode' | undefined {
  const path = (url ?? '').split('?')[0].replace(/\/+$/, '');
  if (path.endsWith('/encode')) return 'encode';
  if (path.endsWith('/decode')) return 'decode';
  return undefined;
}

/**
 * Decodes each payload on its own: one the codec cannot decrypt (a key this server lacks, or a
 * wrong one) is answered as it came, still encoded, and the rest decoded. Failing the batch hid
 * every payload of the Web UI's event, and `temporal workflow show` failed the whole history.
 */
async function decodeEach(codec: PayloadCodec, payloads: Payload[], left: LeftEncoded[]): Promise<Payload[]> {
  const decoded: Payload[] = [];
  for (const payload of payloads) {
    try {
      decoded.push(...(await codec.decode([payload])));
    } catch (err) {
      if (!isUnreadablePayload(err)) throw err;
      const keyId = payload.metadata?.[KEY_ID_METADATA];
      left.push({ keyId: keyId ? Buffer.from(keyId).toString('utf8') : '(none)', reason: err instanceof Error ? err.message : String(err) });
      decoded.push(payload);
    }
  }
  return decoded;
}

/**
 * Serves a PayloadCodec over HTTP for operators' tools.
 *
 * @example
 *   const server = await startCodecServer({ codec, port: 8888, corsOrigins: ['http://localhost:8233'] });
 *   // temporal workflow show -w <id> --codec-endpoint ${server.url}
 */
export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const allowed = new Set(options.corsOrigins.map((o) => o.replace(/\/$/, '')));
  const hosts = new Set([...LOOPBACK_HOSTS, options.host ?? '127.0.0.1', ...(options.allowedHosts ?? [])].map(normaliseHost));
  const server = http.createServer((req, res) => {
    const cors = corsHeaders(req, allowed);
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, { ...cors, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const refuse = (refusal: Refusal) => {
      options.onError?.(new Error(refusal.logged ?? refusal.error), req.url ?? '');
      send(refusal.status, { error: refusal.error });
    };
    const badHost = hostRefusal(req, hosts);
    if (badHost) return refuse(badHost);
    const op = operation(req.url);
    if (req.method === 'OPTIONS') return send(op ? 204 : 404);
    if (!op) return send(404, { error: 'use POST /encode or POST /decode' });
    if (req.method !== 'POST') return send(405, { error: 'use POST' });
    const badType = contentTypeRefusal(req);
    if (badType) return refuse(badType);
    readBody(req, MAX_BODY_BYTES)
      .then(async (text) => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw new HttpError(400, 'body is not JSON');
        }
        const parsed = JsonPayloads.safeParse(body);
        if (!parsed.success) throw new HttpError(400, `body must be {"payloads":[{"metadata":{...},"data":"base64"}]}: ${parsed.error.issues[0].message}`);
        const payloads = parsed.data.payloads.map(fromJson);
        const left: LeftEncoded[] = [];
        const result = op === 'encode' ? await options.codec.encode(payloads) : await decodeEach(options.codec, payloads, left);
        if (left.length > 0) options.onLeftEncoded?.(left, req.url ?? '');
        send(200, { payloads: result.map(toJson) });
      })
      .catch((err: unknown) => {
        options.onError?.(err, req.url ?? '');
        if (res.headersSent) return;
        // A key or tamper failure is the caller's data, not this server's fault: 400 with the reason.
        send(err instanceof HttpError ? err.status : err instanceof BodyTooLarge ? 413 : 400, { error: err instanceof Error ? err.message : String(err) });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
