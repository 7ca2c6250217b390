import { clientConnectionOptions, describeTemporalConnection, loadTemporalConnection, localTemporalConnection, type TemporalConnection } from '../config/temporal-connection';
import { PantheonError } from '../errors';
import { connectWhenReady, isNamespaceNotFound } from './connect';
import { namespaceMissing } from './namespace-missing';
import { tlsMismatch } from './tls-check';
import { startDevServer, type DevServer, type DevServerOptions } from './dev-server';
import { ensureSearchAttributes } from './search-attributes';

export interface EnsureTemporalOptions {
  /**
   * How to reach an existing server (address, namespace, API key, TLS); default what the
   * environment and its temporal.toml profile say (loadTemporalConnection). No address in it: a
   * dev server starts.
   */
  connection?: TemporalConnection;
  /** An existing plaintext server to use instead (overrides the connection's address). */
  address?: string;
  /** Overrides the connection's namespace (default 'default'). */
  namespace?: string;
  /** Options for the dev server, used only when no address is given. */
  devServer?: DevServerOptions;
  /** How long an existing server gets to answer; default 15 s. */
  connectTimeoutMs?: number;
}

export interface TemporalRuntime {
  address: string;
  namespace: string;
  /** How clients and workers reach it: the configured connection, or plaintext to the dev server started. */
  connection: TemporalConnection;
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
 * A Temporal server Pantheon can use: the configured one (TEMPORAL_ADDRESS or a temporal.toml
 * profile's address; checked to answer, with Pantheon's search attributes registered), or else a
 * dev server started here.
 */
export async function ensureTemporal(options: EnsureTemporalOptions = {}): Promise<TemporalRuntime> {
  const configured = options.address ? localTemporalConnection(options.address, 'default', 'given') : (options.connection ?? loadTemporalConnection(process.env));
  const target: TemporalConnection = { ...configured, namespace: options.namespace || configured.namespace };
  const { address, namespace } = target;
  if (address) {
    let connection;
    try {
      connection = await connectWhenReady(clientConnectionOptions(target), namespace, { timeoutMs: options.connectTimeoutMs ?? EXISTING_SERVER_TIMEOUT_MS, missingNamespaceIsFinal: true });
    } catch (err) {
      // The server answers, without the namespace: no wait cures that, a setting does (exit 1).
      if (isNamespaceNotFound(err)) throw namespaceMissing(address, namespace, err);
      const handshake = await tlsMismatch(address, target.tls);
      throw PantheonError.of(
        'temporal_unavailable',
        `Temporal at ${address} (namespace ${namespace}) does not answer: ${(err as Error).message}${handshake ? `; ${handshake}` : ''}. ` +
          `Tried ${describeTemporalConnection(target)}. ` +
          'Start it, fix TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (or the temporal.toml profile, TEMPORAL_API_KEY, TEMPORAL_TLS_*), ' +
          'or unset TEMPORAL_ADDRESS and TEMPORAL_PROFILE to let Pantheon run a dev server.',
        { cause: err, details: { address, namespace } },
      );
    }
    try {
      await ensureSearchAttributes(connection, namespace);
    } finally {
      await connection.close();
    }
    const uiUrl = (process.env.TEMPORAL_UI_URL || 'http://localhost:8233').replace(/\/$/, '');
    return { address, namespace, connection: target, uiUrl, started: undefined, stop: async () => {} };
  }
  const started = await startDevServer({ ...options.devServer, namespace });
  return {
    address: started.address,
    namespace,
    connection: localTemporalConnection(started.address, namespace),
    uiUrl: started.uiUrl ?? '',
    started,
    stop: () => started.stop(),
  };
}
