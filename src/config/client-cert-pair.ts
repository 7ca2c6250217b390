import { createSecureContext } from 'node:tls';
import { PantheonError } from '../errors';

/** One half of the mTLS pair as loadTemporalConnection read it. */
export interface PemSource {
  data: Buffer;
  /** A path, or "inline (VARIABLE or field)". */
  label: string;
  /** Where it was set: "environment variable TEMPORAL_TLS_CLIENT_CERT_PATH" or `profile "x" in FILE field tls.client_cert_path`. */
  from: string;
  variable: string;
  field: string;
}

const holdsKey = (data: Buffer) => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(data.toString('latin1'));
const holdsCert = (data: Buffer) => data.toString('latin1').includes('-----BEGIN CERTIFICATE-----');

/** The OpenSSL complaint, or undefined when the context was built. */
function openSslError(options: { cert?: Buffer; key?: Buffer }): string | undefined {
  try {
    createSecureContext(options);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Refuses a client certificate and key that cannot make a TLS identity (swapped, not parseable,
 * or a key that is not the certificate's) at config load: the TLS stack would say only
 * "key values mismatch" or "no start line" at connect, naming no setting. Both settings are named.
 *
 * @example checkClientCertPair(crt, key) // throws config_invalid, exit 1
 */
export function checkClientCertPair(cert: PemSource, key: PemSource): void {
  const problem = pairProblem(cert, key);
  if (!problem) return;
  throw PantheonError.of('config_invalid', `${cert.from} and ${key.from}: ${problem}`, {
    details: { variables: [cert.variable, key.variable], fields: [cert.field, key.field] },
  });
}

function pairProblem(cert: PemSource, key: PemSource): string | undefined {
  const certLoads = openSslError({ cert: cert.data });
  const keyLoads = openSslError({ key: key.data });
  if (certLoads && keyLoads && holdsKey(cert.data) && holdsCert(key.data)) {
    return `the client certificate and key are swapped (${cert.label} holds a private key, ${key.label} a certificate)`;
  }
  if (certLoads) {
    const hint = holdsKey(cert.data) ? ': it holds a private key, not a certificate' : '';
    return `the client certificate ${cert.label} is not a usable certificate${hint} (${certLoads})`;
  }
  if (keyLoads) {
    const text = key.data.toString('latin1');
    const hint = holdsCert(key.data)
      ? ': it holds a certificate, not a private key'
      : /ENCRYPTED/.test(text)
        ? ': it is encrypted, and the SDK takes no passphrase (decrypt it: openssl pkey -in KEY -out KEY.plain)'
        : '';
    return `the client key ${key.label} is not a usable private key${hint} (${keyLoads})`;
  }
  const pair = openSslError({ cert: cert.data, key: key.data });
  if (pair) return `the client key ${key.label} is not the private key of the certificate ${cert.label} (${pair})`;
  return undefined;
}
