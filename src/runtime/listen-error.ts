import { PantheonError } from '../errors';

/** Where a server was told to listen, and the variables that told it. */
export interface ListenSettings {
  host: string;
  port: number;
  hostVariable: string;
  portVariable: string;
}

// The host does not resolve, or is no address of this machine.
const HOST_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'EAI_NONAME']);
// The port is taken, or reserved for root.
const PORT_CODES = new Set(['EADDRINUSE', 'EACCES']);

/**
 * A failed listen as config_invalid naming the setting to change: Node's words ("listen
 * EADDRINUSE …", "getaddrinfo ENOTFOUND …") name neither. Undefined for any other failure.
 *
 * @example listenFailure(err, { host, port, hostVariable: 'PANTHEON_OFFLINE_HOST', portVariable: 'PANTHEON_OFFLINE_PORT' })
 */
export function listenFailure(err: unknown, at: ListenSettings): PantheonError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  const variable = HOST_CODES.has(code) ? at.hostVariable : PORT_CODES.has(code) ? at.portVariable : undefined;
  if (!variable) return undefined;
  const why = code === 'EADDRINUSE' ? ' (the port is taken: another process listens there)' : '';
  return PantheonError.of('config_invalid', `environment variable ${variable}: cannot listen on ${at.host}:${at.port}${why}: ${(err as Error).message}`, {
    details: { variable },
    cause: err,
  });
}
