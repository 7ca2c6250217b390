import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** PEM files of a throwaway PKI: a CA, a server certificate for localhost/127.0.0.1, and a client certificate. */
export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by another CA: well-formed, but not one the server trusts. */
  strangerCert: string;
  strangerKey: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Fails with a clear message when openssl is missing, rather than with a confusing spawn error. */
export function requireOpenssl(): void {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error('this test generates its certificates with `openssl`, which is not on PATH: install OpenSSL');
  }
}

/** A CA and a key + certificate signed by it (EC P-256: fast to generate). */
function issue(dir: string, name: string, subject: string, ca: { cert: string; key: string }, ext: string): void {
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
}

function makeCa(dir: string, name: string): { cert: string; key: string } {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return { cert: `${name}.pem`, key: `${name}.key` };
}

/** Generates the PKI into `dir` with the openssl CLI. */
export function generateTestPki(dir: string): TestPki {
  requireOpenssl();
  fs.mkdirSync(dir, { recursive: true });
  const ca = makeCa(dir, 'pantheon-test-ca');
  issue(dir, 'server', '/CN=localhost', ca, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n');
  issue(dir, 'client', '/CN=pantheon-worker', ca, 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
  const other = makeCa(dir, 'other-ca');
  issue(dir, 'stranger', '/CN=stranger', other, 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
  const at = (file: string) => path.join(dir, file);
  return {
    dir,
    caCert: at(ca.cert),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
    strangerCert: at('stranger.pem'),
    strangerKey: at('stranger.key'),
  };
}
