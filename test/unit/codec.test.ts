import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, parseKeyList } from '../../src/codec';
import { startCodecServer, type LeftEncoded } from '../../src/codec/server';
import { keyFileExposure } from '../../src/codec/keys';
import { loadConfig } from '../../src/config/env';
import { PantheonError } from '../../src/errors';

const key = () => randomBytes(32).toString('base64');
const K1 = key();
const K2 = key();
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');
const payloadOf = (value: unknown) => defaultPayloadConverter.toPayload(value);
const valueOf = (p: Payload) => defaultPayloadConverter.fromPayload(p);

function thrown(fn: () => unknown): PantheonError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PantheonError);
    return err as PantheonError;
  }
  throw new Error('nothing was thrown');
}

/** A request with exactly these headers (fetch sets Host and Content-Type itself). */
function raw(url: string, headers: Record<string, string>, body?: string, method = 'POST'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...headers, ...(body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(body)) }) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function rejected(promise: Promise<unknown>): Promise<PantheonError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PantheonError);
  return err as PantheonError;
}

describe('AesGcmCodec', () => {
  const objective = { objective: 'Rotate the TLS certificates of the billing cluster', priority: 'high' };

  it('round-trips payloads, and the stored bytes do not contain the plaintext', async () => {
    const codec = new AesGcmCodec(parseKeyList(`k1:${K1}`));
    const original = [payloadOf(objective), payloadOf(null), payloadOf('')];
    const encoded = await codec.encode(original);
    expect(text(encoded[0].data)).not.toContain('billing cluster');
    const decoded = await codec.decode(encoded);
    expect(decoded.map(valueOf)).toEqual([objective, null, '']);
    expect(decoded.map((p) => text(p.metadata!.encoding))).toEqual(original.map((p) => text(p.metadata!.encoding)));
  });

  it('marks each encrypted payload with the binary/encrypted encoding and the id of the newest key', async () => {
    const codec = new AesGcmCodec(parseKeyList(`old:${K1},new:${K2}`));
    const [encoded] = await codec.encode([payloadOf(objective)]);
    expect(text(encoded.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded.metadata![KEY_ID_METADATA])).toBe('new');
    expect(Object.keys(encoded.metadata!).sort()).toEqual(['encoding', KEY_ID_METADATA].sort());
  });

  it('after a rotation still decrypts payloads written with the old key', async () => {
    const before = new AesGcmCodec(parseKeyList(`k1:${K1}`));
    const after = new AesGcmCodec(parseKeyList(`k1:${K1},k2:${K2}`));
    const written = await before.encode([payloadOf(objective)]);
    expect((await after.decode(written)).map(valueOf)).toEqual([objective]);
    const fresh = await after.encode([payloadOf(objective)]);
    expect(text(fresh[0].metadata![KEY_ID_METADATA])).toBe('k2');
  });

  it('fails with an error naming the key id when the payload names a key that is not configured', async () => {
    const written = await new AesGcmCodec(parseKeyList(`retired-2025:${K1}`)).encode([payloadOf(objective)]);
    const err = await rejected(new AesGcmCodec(parseKeyList(`k2:${K2}`)).decode(written));
    expect(err.type).toBe('config_invalid');
    expect(err.message).toContain('"retired-2025"');
    expect(err.message).toMatch(/no key with that id is configured \(configured: k2\)/);
    expect(err.details).toMatchObject({ keyId: 'retired-2025' });
  });

  it('fails authentication when the ciphertext was altered', async () => {
    const codec = new AesGcmCodec(parseKeyList(`k1:${K1}`));
    const [encoded] = await codec.encode([payloadOf(objective)]);
    const data = Buffer.from(encoded.data!);
    data[20] ^= 0x01;
    const err = await rejected(codec.decode([{ ...encoded, data }]));
    expect(err.message).toMatch(/"k1": authentication failed/);
  });

  it('fails authentication when the key id in the metadata was swapped for another configured one', async () => {
    const codec = new AesGcmCodec(parseKeyList(`k1:${K1},k2:${K2}`));
    const [encoded] = await codec.encode([payloadOf(objective)]);
    const swapped = { ...encoded, metadata: { ...encoded.metadata, [KEY_ID_METADATA]: Buffer.from('k1') } };
    expect((await rejected(codec.decode([swapped]))).message).toMatch(/"k1": authentication failed/);
  });

  it('fails authentication under a different key with the same id (a wrong key)', async () => {
    const [encoded] = await new AesGcmCodec(parseKeyList(`k1:${K1}`)).encode([payloadOf(objective)]);
    const err = await rejected(new AesGcmCodec(parseKeyList(`k1:${K2}`)).decode([encoded]));
    expect(err.message).toMatch(/authentication failed/);
  });

  it('passes payloads that were never encrypted through decode unchanged', async () => {
    const plain = payloadOf(objective);
    expect(await new AesGcmCodec(parseKeyList(`k1:${K1}`)).decode([plain])).toEqual([plain]);
  });
});

describe('codec keys', () => {
  it('rejects a short key, naming the variable and the key id but not the key', () => {
    const short = randomBytes(16).toString('base64');
    const err = thrown(() => loadConfig({ PANTHEON_CODEC_KEYS: `k1:${K1},k2:${short}` }));
    expect(err.type).toBe('config_invalid');
    expect(err.message).toBe('environment variable PANTHEON_CODEC_KEYS: key "k2" is 16 bytes; AES-256-GCM needs 32 (generate one with: openssl rand -base64 32)');
    expect(err.details).toEqual({ variable: 'PANTHEON_CODEC_KEYS', keyId: 'k2' });
    expect(err.message).not.toContain(short);
  });

  it.each([
    ['no id', `${K1}`, /entry 1 has no "id:" prefix/],
    ['not base64', 'k1:not*base64!', /key "k1" is not base64/],
    ['a duplicate id', `k1:${K1},k1:${K2}`, /key id "k1" is listed twice/],
    ['a bad id', `k 1:${K1}`, /key id must be/],
  ])('rejects a key list with %s', (_what, spec, message) => {
    const err = thrown(() => loadConfig({ PANTHEON_CODEC_KEYS: spec }));
    expect(err.message).toMatch(/^environment variable PANTHEON_CODEC_KEYS: /);
    expect(err.message).toMatch(message);
  });

  it('reads keys from PANTHEON_CODEC_KEY_FILE (comments and newlines allowed); the last listed encrypts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codec-'));
    const file = path.join(dir, 'keys');
    try {
      fs.writeFileSync(file, `# rotated 2026-11\nk1:${K1}\n\nk2:${K2}  # current\n`);
      const keys = loadConfig({ PANTHEON_CODEC_KEY_FILE: file }).codec.keys!;
      expect(keys.ids).toEqual(['k1', 'k2']);
      expect(keys.currentId).toBe('k2');
      fs.writeFileSync(file, 'k1:short');
      const err = thrown(() => loadConfig({ PANTHEON_CODEC_KEY_FILE: file }));
      expect(err.details).toMatchObject({ variable: 'PANTHEON_CODEC_KEY_FILE' });
      expect(err.message).toContain(`PANTHEON_CODEC_KEY_FILE (${file})`);
      expect(thrown(() => loadConfig({ PANTHEON_CODEC_KEY_FILE: `${file}.missing` })).message).toMatch(/PANTHEON_CODEC_KEY_FILE: cannot read/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses both PANTHEON_CODEC_KEYS and PANTHEON_CODEC_KEY_FILE at once', () => {
    expect(thrown(() => loadConfig({ PANTHEON_CODEC_KEYS: `k1:${K1}`, PANTHEON_CODEC_KEY_FILE: '/x' })).message).toMatch(/not both/);
  });

  it('is off by default, and a serialised config shows key ids only', () => {
    const off = loadConfig({});
    expect(off.codec).toEqual({ keys: undefined, host: '127.0.0.1', port: 8888, corsOrigins: ['http://localhost:8233'], allowedHosts: [] });
    const on = loadConfig({ PANTHEON_CODEC_KEYS: `k1:${K1}`, TEMPORAL_UI_URL: 'https://ui.example:9443/' });
    expect(on.codec.corsOrigins).toEqual(['https://ui.example:9443']);
    const json = JSON.stringify(on);
    expect(json).toContain('"currentId":"k1"');
    expect(json).not.toContain(K1);
  });
});

describe('codec server', () => {
  const UI = 'http://localhost:8233';
  const post = (url: string, body: unknown, origin = UI) =>
    fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', Origin: origin }, body: JSON.stringify(body) });
  const toJson = (p: Payload) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
    data: Buffer.from(p.data!).toString('base64'),
  });

  it('decodes and encodes the JSON payloads the Web UI sends, with CORS for the UI origin only', async () => {
    const codec = new AesGcmCodec(parseKeyList(`k1:${K1}`));
    const server = await startCodecServer({ codec, port: 0, corsOrigins: [UI] });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const [encrypted] = await codec.encode([payloadOf({ objective: 'secret plan' })]);
      const res = await post(`${server.url}/decode`, { payloads: [toJson(encrypted)] });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(UI);
      const body = (await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
      expect(Buffer.from(body.payloads[0].metadata.encoding, 'base64').toString()).toBe('json/plain');
      expect(JSON.parse(Buffer.from(body.payloads[0].data, 'base64').toString())).toEqual({ objective: 'secret plan' });

      const enc = await post(`${server.url}/encode`, body, 'http://evil.example');
      expect(enc.status).toBe(200);
      expect(enc.headers.get('access-control-allow-origin')).toBeNull();
      const reencoded = ((await enc.json()) as { payloads: Array<{ metadata: Record<string, string> }> }).payloads[0];
      expect(Buffer.from(reencoded.metadata[KEY_ID_METADATA], 'base64').toString()).toBe('k1');

      const preflight = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: UI, 'Access-Control-Request-Headers': 'content-type,x-namespace' } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
    } finally {
      await server.close();
    }
  });

  it('answers an empty Payloads, which proto3 JSON sends as {}, with {"payloads":[]}', async () => {
    const server = await startCodecServer({ codec: new AesGcmCodec(parseKeyList(`k1:${K1}`)), port: 0, corsOrigins: [] });
    try {
      for (const op of ['encode', 'decode']) {
        for (const body of [{}, { payloads: [] }]) {
          const res = await post(`${server.url}/${op}`, body);
          expect(res.status).toBe(200);
          expect(await res.json()).toEqual({ payloads: [] });
        }
      }
    } finally {
      await server.close();
    }
  });

  it('leaves a payload whose key it lacks (or whose key is wrong) encoded and decodes the rest, telling which key ids, never key material', async () => {
    const [foreign] = await new AesGcmCodec(parseKeyList(`other:${K2}`)).encode([payloadOf('from another keyring')]);
    const [wrongKey] = await new AesGcmCodec(parseKeyList(`k1:${K2}`)).encode([payloadOf('same id, another key')]);
    const codec = new AesGcmCodec(parseKeyList(`k1:${K1}`));
    const [mine] = await codec.encode([payloadOf({ objective: 'secret plan' })]);
    const told: Array<{ left: LeftEncoded[]; path: string }> = [];
    const server = await startCodecServer({ codec, port: 0, corsOrigins: [], onLeftEncoded: (left, path) => told.push({ left, path }) });
    try {
      const sent = [foreign, mine, wrongKey, payloadOf('never encrypted')].map(toJson);
      const res = await post(`${server.url}/decode`, { payloads: sent });
      expect(res.status).toBe(200);
      const { payloads } = (await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
      expect(payloads).toHaveLength(4);
      expect(payloads[0]).toEqual(sent[0]);
      expect(JSON.parse(Buffer.from(payloads[1].data, 'base64').toString())).toEqual({ objective: 'secret plan' });
      expect(payloads[2]).toEqual(sent[2]);
      expect(payloads[3]).toEqual(sent[3]);
      expect(told).toEqual([
        {
          path: '/decode',
          left: [
            { keyId: 'other', reason: expect.stringMatching(/key id "other": no key with that id is configured \(configured: k1\)/) },
            { keyId: 'k1', reason: expect.stringMatching(/key id "k1": authentication failed/) },
          ],
        },
      ]);
      for (const k of [K1, K2]) expect(JSON.stringify(told)).not.toContain(k);

      expect((await post(`${server.url}/decode`, { nope: 1 })).status).toBe(400);
      expect((await post(`${server.url}/elsewhere`, { payloads: [] })).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('refuses a request whose Host is not one of its names (a page reaching it by DNS rebinding) with 403, telling the names it answers to its log only; answers the loopback names, its host and the allowed ones', async () => {
    const codec = new AesGcmCodec(parseKeyList(`k1:${K1}`));
    const [encrypted] = await codec.encode([payloadOf({ objective: 'secret plan' })]);
    const refused: string[] = [];
    const server = await startCodecServer({ codec, port: 0, corsOrigins: [UI], allowedHosts: ['codec.internal'], onError: (err) => refused.push(String(err)) });
    const port = new URL(server.url).port;
    const decode = (host: string) => raw(`${server.url}/decode`, { Host: host, 'Content-Type': 'application/json' }, JSON.stringify({ payloads: [toJson(encrypted)] }));
    try {
      for (const host of [`rebound.attacker.example:${port}`, 'rebound.attacker.example', `localhost.attacker.example:${port}`, `127.0.0.1.nip.io:${port}`]) {
        const res = await decode(host);
        expect({ host, status: res.status }).toEqual({ host, status: 403 });
        expect(res.body).not.toContain('secret plan');
        // The reason, never the names it answers: those are for its operator, in the log.
        expect(JSON.parse(res.body).error).toBe(
          `Host "${host}" is not a name of this codec server: refused, as a page reaching it by DNS rebinding would be (its operator may add the name to PANTHEON_CODEC_ALLOWED_HOSTS)`,
        );
        expect(JSON.parse(res.body).error.replace(host, '')).not.toMatch(/localhost|127\.0\.0\.1|::1|codec\.internal/);
      }
      expect(refused[0]).toBe(
        `Error: Host "rebound.attacker.example:${port}" is not a name of this codec server (it answers localhost, 127.0.0.1, ::1, codec.internal; add others in PANTHEON_CODEC_ALLOWED_HOSTS): refused, as a page reaching it by DNS rebinding would be`,
      );
      const preflight = await raw(`${server.url}/decode`, { Host: `rebound.attacker.example:${port}`, Origin: UI, 'Access-Control-Request-Method': 'POST' }, undefined, 'OPTIONS');
      expect(preflight.status).toBe(403);
      expect(refused).toHaveLength(5);

      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'LOCALHOST', 'codec.internal', 'Codec.Internal.:443']) {
        const res = await decode(host);
        expect({ host, status: res.status }).toEqual({ host, status: 200 });
        expect(JSON.parse(Buffer.from(JSON.parse(res.body).payloads[0].data, 'base64').toString())).toEqual({ objective: 'secret plan' });
      }
      const ok = await raw(`${server.url}/decode`, { Host: `localhost:${port}`, Origin: UI, 'Access-Control-Request-Method': 'POST' }, undefined, 'OPTIONS');
      expect(ok.status).toBe(204);
      expect(ok.headers['access-control-allow-origin']).toBe(UI);
    } finally {
      await server.close();
    }
  });

  it('refuses a body not declared application/json (a text/plain POST any page may send unasked) with 415; takes a charset parameter', async () => {
    const codec = new AesGcmCodec(parseKeyList(`k1:${K1}`));
    const [encrypted] = await codec.encode([payloadOf({ objective: 'secret plan' })]);
    const server = await startCodecServer({ codec, port: 0, corsOrigins: [UI] });
    const body = JSON.stringify({ payloads: [toJson(encrypted)] });
    try {
      for (const [type, shown] of [['text/plain', '"text/plain"'], ['text/plain;charset=UTF-8', '"text/plain;charset=UTF-8"'], ['application/x-www-form-urlencoded', '"application/x-www-form-urlencoded"'], [undefined, 'none']] as const) {
        const res = await raw(`${server.url}/decode`, type === undefined ? {} : { 'Content-Type': type }, body);
        expect({ type, status: res.status }).toEqual({ type, status: 415 });
        expect(JSON.parse(res.body)).toEqual({ error: `Content-Type must be application/json (got ${shown})` });
      }
      for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON']) {
        const res = await raw(`${server.url}/decode`, { 'Content-Type': type }, body);
        expect({ type, status: res.status }).toEqual({ type, status: 200 });
      }
    } finally {
      await server.close();
    }
  });
});

describe('a key file others can read', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codec-key-mode-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is told (mode and the chmod that fixes it); one only its owner reads, or none, is not', () => {
    const file = path.join(dir, 'keys');
    fs.writeFileSync(file, `k1:${randomBytes(32).toString('base64')}\n`);
    fs.chmodSync(file, 0o644);
    expect(keyFileExposure({ PANTHEON_CODEC_KEY_FILE: file })).toBe(
      `PANTHEON_CODEC_KEY_FILE ${file} is readable by others than its owner (mode 644): the keys decrypt every payload; chmod 600 ${file}`,
    );
    fs.chmodSync(file, 0o600);
    expect(keyFileExposure({ PANTHEON_CODEC_KEY_FILE: file })).toBeUndefined();
    expect(keyFileExposure({})).toBeUndefined();
    expect(keyFileExposure({ PANTHEON_CODEC_KEY_FILE: path.join(dir, 'missing') })).toBeUndefined();
  });
});
