import type http from 'node:http';

/** Host names a codec server answers whatever it binds: the loopback's. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/** A host name as compared: lower case, without IPv6 brackets or a trailing dot. */
export function normaliseHost(name: string): string {
  return name.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/** The host name of a Host header (`localhost:8888`, `[::1]:8888`, `codec.internal`); undefined if malformed. */
function hostnameOf(header: string | undefined): string | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+))(?::\d*)?$/.exec((header ?? '').trim());
  return m ? normaliseHost(m[1] ?? m[2]) : undefined;
}

export interface Refusal {
  status: 403 | 415;
  /** The answer's words, for whoever asked. */
  error: string;
  /** The server log's words, when they say more than a caller may learn (the names it answers). */
  logged?: string;
}

/**
 * Why a request whose Host does not name this server is refused, or undefined. A web page whose
 * own host name an attacker re-points at 127.0.0.1 (DNS rebinding) is same-origin to the browser,
 * so CORS does not stop it posting here and reading the decrypted payloads; but its requests carry
 * the attacker's host name.
 *
 * @example hostRefusal(req, new Set([...LOOPBACK_HOSTS, 'codec.internal']))
 */
export function hostRefusal(req: http.IncomingMessage, allowed: ReadonlySet<string>): Refusal | undefined {
  const host = req.headers.host;
  const name = hostnameOf(host);
  if (name !== undefined && allowed.has(name)) return undefined;
  const refused = `Host "${host ?? ''}" is not a name of this codec server`;
  const why = 'refused, as a page reaching it by DNS rebinding would be';
  return {
    status: 403,
    // The names it does answer stay in the log: a refused caller is the one not to tell them to.
    error: `${refused}: ${why} (its operator may add the name to PANTHEON_CODEC_ALLOWED_HOSTS)`,
    logged: `${refused} (it answers ${[...allowed].join(', ')}; add others in PANTHEON_CODEC_ALLOWED_HOSTS): ${why}`,
  };
}

/**
 * Why a body not declared JSON is refused, or undefined. The Web UI and the CLI send
 * application/json; a `text/plain` POST is one any page may send cross-origin without asking first.
 */
export function contentTypeRefusal(req: http.IncomingMessage): Refusal | undefined {
  const type = req.headers['content-type'];
  if ((type ?? '').split(';')[0].trim().toLowerCase() === 'application/json') return undefined;
  return { status: 415, error: `Content-Type must be application/json (got ${type === undefined ? 'none' : `"${type}"`})` };
}
