import net from 'node:net';
import tls from 'node:tls';
import type { TLSConfig } from '@temporalio/client';

/**
 * What a failed handshake means for the settings, by the setting to change. Patterns match both
 * Node's OpenSSL codes (grpc-js, clients) and rustls' names (the Rust core, workers).
 */
const HINTS: Array<[RegExp, string]> = [
  [/CERTIFICATE_?REQUIRED/i, 'the server requires a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (or tls.client_cert_path / tls.client_key_path in the profile)'],
  [/UNKNOWN_?CA\b|BAD_?CERTIFICATE|CERTIFICATE_?UNKNOWN|UNSUPPORTED_?CERTIFICATE/i, 'the server refused the client certificate (not signed by a CA it trusts, or not for client auth)'],
  [/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|CERT_UNTRUSTED|UnknownIssuer/i, "the server's certificate is not trusted: set TEMPORAL_TLS_SERVER_CA_CERT_PATH (tls.server_ca_cert_path) to the CA that signed it"],
  [/ALTNAME_INVALID|NotValidForName/i, "the server's certificate is for another name: set TEMPORAL_TLS_SERVER_NAME (tls.server_name) to the name in it"],
  [/CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|\bExpired\b|NotValidYet/, "a certificate is outside its validity dates"],
  [/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LAYER_FAILURE|InvalidContentType|CorruptMessage/i, 'the server does not speak TLS here: set TEMPORAL_TLS=false (tls.disabled = true), or use its TLS port'],
];

/** The setting to look at for a TLS failure's message, if it is one we know. */
export function tlsHint(message: string): string | undefined {
  return HINTS.find(([pattern]) => pattern.test(message))?.[1];
}

/** host and port of `address` (host:port, [v6]:port); 7233 when it names no port. */
function hostAndPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: (at > 0 ? address.slice(0, at) : address).replace(/^\[|\]$/g, ''), port: at > 0 ? Number(address.slice(at + 1)) : 7233 };
}

/** What a connection without TLS to a TLS port is told (see {@link plaintextAtTlsPort}). */
export const SPEAKS_TLS_HINT =
  'the server speaks TLS at this address and this connection does not: set TEMPORAL_TLS=true (or a tls table in the temporal.toml profile), with TEMPORAL_TLS_SERVER_CA_CERT_PATH if a private CA signed its certificate';

/**
 * {@link SPEAKS_TLS_HINT} when `address` completes a TLS handshake (its certificate unchecked) or
 * answers one with a TLS alert; else undefined (nothing listens, a plaintext server, no answer in
 * time). A connection without TLS to a TLS port fails in words no pattern tells from a server that
 * is down: grpc-js "Failed to connect before the deadline", the Rust core "transport error" (a
 * broken pipe, a reset); the server's own handshake tells them apart.
 */
export async function plaintextAtTlsPort(address: string, timeoutMs = 3_000): Promise<string | undefined> {
  const { host, port } = hostAndPort(address);
  return new Promise((resolve) => {
    // Only whether it speaks TLS is asked: nothing is sent after the handshake.
    const socket = tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    const done = (speaks: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(speaks ? SPEAKS_TLS_HINT : undefined);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => done(true));
    // An alert (a client certificate required, say) is TLS too; a plaintext server's bytes are
    // WRONG_VERSION_NUMBER, nothing listening ECONNREFUSED.
    socket.once('error', (err: NodeJS.ErrnoException) => done(/^ERR_SSL_(TLSV1\d*|SSLV3)_ALERT_/.test(err.code ?? '')));
  });
}

/**
 * What a failed connection's settings may have wrong about TLS, asked of the server itself: with
 * TLS configured, why the handshake fails ({@link tlsHandshakeFailure}); without, whether the
 * server wanted TLS ({@link plaintextAtTlsPort}). Undefined when the handshake says nothing.
 */
export function tlsMismatch(address: string, config: TLSConfig | boolean | null | undefined): Promise<string | undefined> {
  return config ? tlsHandshakeFailure(address, config === true ? {} : config) : plaintextAtTlsPort(address);
}

/**
 * Why a TLS handshake with `address` fails under these settings, or undefined when it succeeds (or
 * nothing answers in time). grpc-js reports a refused handshake only as "Failed to connect before
 * the deadline"; this says which certificate or setting is at fault.
 */
export async function tlsHandshakeFailure(address: string, config: TLSConfig, timeoutMs = 3_000): Promise<string | undefined> {
  const { host, port } = hostAndPort(address);
  const servername = config.serverNameOverride ?? (net.isIP(host) ? undefined : host);
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port,
      servername,
      ...(config.serverRootCACertificate ? { ca: Buffer.from(config.serverRootCACertificate) } : {}),
      ...(config.clientCertPair ? { cert: Buffer.from(config.clientCertPair.crt), key: Buffer.from(config.clientCertPair.key) } : {}),
      ALPNProtocols: ['h2'],
    });
    let timer: NodeJS.Timeout | undefined;
    const done = (why: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    timer = setTimeout(() => done(undefined), timeoutMs);
    // TLS 1.3 servers refuse a client certificate after the client's side of the handshake ends:
    // wait briefly for that alert before calling the handshake good.
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      timer = setTimeout(() => done(undefined), 500);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const text = `${err.code ?? ''} ${err.message}`;
      const hint = tlsHint(text);
      done(`TLS handshake failed (${err.code ?? err.message.trim()})${hint ? `: ${hint}` : `: ${err.message.trim()}`}`);
    });
  });
}
