import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { HashingEmbedder } from '../../memory/hashing-embedder';
import { countTokens } from '../tokens';
import { parseJson, sendJson } from './http';

/**
 * `POST /v1/embeddings` in the OpenAI wire format, so the openai SDK's `embeddings.create` runs
 * unchanged against the offline provider: deterministic vectors that keep similar texts close
 * (the hashing embedder's features, at the size asked for), honest token usage, and base64 or
 * float encoding as the SDK asks (it asks base64 unless told otherwise).
 */
const EmbeddingsRequest = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048)]),
  dimensions: z.number().int().min(8).max(3072).optional(),
  encoding_format: z.enum(['float', 'base64']).optional(),
});

/** Native sizes of the models the offline provider answers for (the API's own defaults). */
const NATIVE_DIMENSIONS: Record<string, number> = { 'text-embedding-3-small': 1536, 'text-embedding-3-large': 3072 };

export function handleEmbeddings(_req: IncomingMessage, res: ServerResponse, body: string): void {
  const json = parseJson(body);
  const parsed = json.ok ? EmbeddingsRequest.safeParse(json.value) : undefined;
  if (!parsed?.success) {
    const message = json.ok ? `invalid embeddings request: ${parsed?.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` : `malformed JSON: ${json.message}`;
    return sendJson(res, 400, { error: { type: 'invalid_request_error', message } });
  }
  const { model, dimensions, encoding_format } = parsed.data;
  const native = NATIVE_DIMENSIONS[model];
  if (!native) return sendJson(res, 404, { error: { type: 'invalid_request_error', code: 'model_not_found', message: `The model \`${model}\` does not exist` } });
  const inputs = typeof parsed.data.input === 'string' ? [parsed.data.input] : parsed.data.input;
  const embedder = new HashingEmbedder({ dimensions: dimensions ?? native });
  const tokens = inputs.reduce((sum, text) => sum + countTokens(text), 0);
  const data = inputs.map((text, index) => {
    const vector = embedder.embedOne(text);
    const embedding = encoding_format === 'base64' ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64') : Array.from(vector);
    return { object: 'embedding', index, embedding };
  });
  sendJson(res, 200, { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
}
