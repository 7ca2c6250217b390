import { exitOnError } from '../client/exit';
import { loadConfig } from '../config/env';
import { createLogger } from '../logging/logger';
import { PantheonError } from '../errors';
import { AesGcmCodec } from './aes-gcm-codec';
import { keyFileExposure } from './keys';
import { startCodecServer } from './server';
import { onStopSignals } from '../runtime/stop-signals';

/**
 * `npm run codec-server`: the codec endpoint the Temporal Web UI and CLI call to show encrypted
 * payloads decrypted, with the same keys as the workers (PANTHEON_CODEC_KEYS or _KEY_FILE).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.log);
  const keys = config.codec.keys;
  if (!keys) {
    throw PantheonError.of('config_invalid', 'environment variable PANTHEON_CODEC_KEYS: the codec server needs the payload keys (or PANTHEON_CODEC_KEY_FILE)', {
      details: { variable: 'PANTHEON_CODEC_KEYS' },
    });
  }
  const server = await startCodecServer({
    codec: new AesGcmCodec(keys),
    host: config.codec.host,
    port: config.codec.port,
    corsOrigins: config.codec.corsOrigins,
    allowedHosts: config.codec.allowedHosts,
    onError: (err, path) => logger.warn({ path, err: err instanceof Error ? err.message : String(err) }, 'codec request failed'),
    // Key ids and the codec's reasons only: they name ids, never key material.
    onLeftEncoded: (left, path) => {
      for (const keyId of new Set(left.map((l) => l.keyId))) {
        const mine = left.filter((l) => l.keyId === keyId);
        logger.warn({ path, keyId, payloads: mine.length, reason: mine[0].reason }, `left ${mine.length} payload(s) of key id "${keyId}" encoded: this codec server cannot decrypt them`);
      }
    },
  }).catch((err: unknown) => {
    // Node's words ("listen EADDRINUSE …", "getaddrinfo ENOTFOUND …") name neither setting.
    const variable = /ENOTFOUND|EAI_AGAIN|EADDRNOTAVAIL/.test(String(err)) ? 'PANTHEON_CODEC_HOST' : 'PANTHEON_CODEC_PORT';
    throw PantheonError.of('config_invalid', `environment variable ${variable}: cannot listen on ${config.codec.host}:${config.codec.port}: ${err instanceof Error ? err.message : String(err)}`, {
      details: { variable },
    });
  });
  logger.info({ url: server.url, keyIds: keys.ids, encryptsWith: keys.currentId, corsOrigins: config.codec.corsOrigins, allowedHosts: config.codec.allowedHosts }, 'codec server listening');
  const exposed = keyFileExposure(process.env);
  if (exposed) logger.warn({ variable: 'PANTHEON_CODEC_KEY_FILE' }, exposed);
  // Machine-readable on stdout: scripts (and tests) wait for this line.
  console.log(`codec server listening on ${server.url}`);
  const stop = () => void server.close().then(() => process.exit(0), () => process.exit(1));
  onStopSignals(stop);
}

exitOnError(main);
