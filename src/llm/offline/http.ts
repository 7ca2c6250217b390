import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody as readLimitedBody } from '../../runtime/http-body';

/** The little HTTP plumbing node:http leaves to us. */

const MAX_BODY_BYTES = 20 * 1024 * 1024;

export { BodyTooLarge } from '../../runtime/http-body';

/** The request body, up to 20 MiB (the largest prompt a test sends, with room to spare). */
export function readBody(req: IncomingMessage): Promise<string> {
  return readLimitedBody(req, MAX_BODY_BYTES);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendRaw(res, status, JSON.stringify(body), headers);
}

/** Always labelled JSON, so a malformed body reaches the SDK's JSON parser instead of passing as text. */
export function sendRaw(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}
