import { X509Certificate } from 'node:crypto';
import { PantheonError } from '../errors';
import type { PemSource } from './client-cert-pair';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Refuses a server CA that holds no usable certificate (a private key, a truncated or damaged
 * file) at config load: the TLS stack takes it without a word, and every connect then fails with
 * SELF_SIGNED_CERT_IN_CHAIN and advice to set the very variable that is set. Each certificate of
 * a bundle must parse.
 *
 * @example checkServerCa(ca) // throws config_invalid naming TEMPORAL_TLS_SERVER_CA_CERT_PATH, exit 1
 */
export function checkServerCa(ca: PemSource): void {
  const problem = caProblem(ca.data);
  if (!problem) return;
  throw PantheonError.of('config_invalid', `${ca.from}: the server CA certificate ${ca.label} is not usable: ${problem}`, {
    details: { variable: ca.variable, field: ca.field },
  });
}

function caProblem(data: Buffer): string | undefined {
  const text = data.toString('latin1');
  const blocks = text.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return 'it holds a private key, not a certificate';
    return text.includes('-----BEGIN CERTIFICATE-----') ? 'its certificate has no "-----END CERTIFICATE-----" line (a truncated file?)' : 'it holds no certificate';
  }
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (err) {
      return `${blocks.length === 1 ? 'its certificate' : `certificate ${i + 1} of ${blocks.length}`} does not parse (${(err as Error).message})`;
    }
  }
  return undefined;
}
