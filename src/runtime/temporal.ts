import { PantheonError } from '../errors';
import { connectWhenReady } from './connect';
import { startDevServer, type DevServer, type DevServerOptions } from './dev-server';
import { ensureSearchAttributes } from './search-attributes';

export interface EnsureTemporalOptions {
  /** An existing server to use; default env TEMPORAL_ADDRESS. Without one, a dev server starts. */
  address?: string;
  /** Default env TEMPORAL_NAMESPACE, else 'default'. */
  namespace?: string;
  /** Options for the dev server, used only when no address is given. */
  devServer?: DevServerOptions;
  /** How long an existing server gets to answer; default 15 s. */
  connectTimeoutMs?: number;
}

export interface TemporalRuntime {
  address: string;
  namespace: string;
  /** The Web UI; empty when a dev server was started headless. */
  uiUrl: string;
  /** The dev server this call started, if any. */
  started: DevServer | undefined;
  /** Stops only what this call started: a server Pantheon merely connected to keeps running. */
  stop(): Promise<void>;
}

/** A server someone else runs is either up or misconfigured: no point waiting a minute for it. */
const EXISTING_SERVER_TIMEOUT_MS = 15_000;

/**
 * A Temporal server Pantheon can use: the one at TEMPORAL_ADDRESS (checked to answer, with
 * Pantheon's search attributes registered), or else a dev server started here.
 */
export async function ensureTemporal(options: EnsureTemporalOptions = {}): Promise<TemporalRuntime> {
  const address = options.address || process.env.TEMPORAL_ADDRESS || undefined;
  const namespace = options.namespace || process.env.TEMPORAL_NAMESPACE || 'default';
  if (address) {
    let connection;
    try {
      connection = await connectWhenReady(address, namespace, { timeoutMs: options.connectTimeoutMs ?? EXISTING_SERVER_TIMEOUT_MS });
    } catch (err) {
      throw PantheonError.of(
        'store_unavailable',
        `Temporal at ${address} (namespace ${namespace}) does not answer: ${(err as Error).message}. ` +
          'Start it, fix TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, or unset TEMPORAL_ADDRESS to let Pantheon run a dev server.',
        { cause: err, details: { address, namespace } },
      );
    }
    try {
      await ensureSearchAttributes(connection, namespace);
    } finally {
      await connection.close();
    }
    const uiUrl = (process.env.TEMPORAL_UI_URL || 'http://localhost:8233').replace(/\/$/, '');
    return { address, namespace, uiUrl, started: undefined, stop: async () => {} };
  }
  const started = await startDevServer({ ...options.devServer, namespace });
  return { address: started.address, namespace, uiUrl: started.uiUrl ?? '', started, stop: () => started.stop() };
}
