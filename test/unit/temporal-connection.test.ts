import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/env';
import {
  clientConnectionOptions,
  describeTemporalConnection,
  loadTemporalConnection,
  workerConnectionOptions,
  type TemporalConnection,
} from '../../src/config/temporal-connection';
import { PantheonError } from '../../src/errors';
import { generateTestPki, type TestPki } from '../support/tls-certs';

// A real client certificate and key (the pair is checked at load); the CA is a stand-in, only read.
// test/integration/connect-tls.test.ts connects with the same kind of PKI.
let pki: TestPki;
let CERT: string;
let KEY: string;
/** The test PKI's CA certificate (a real one: a server CA that does not parse is refused). */
let CA: string;
const API_KEY = 'tmprl-api-key-do-not-log-123';

let dir: string;
let files: { cert: string; key: string; ca: string; notPem: string };

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pantheon-envconfig-'));
  pki = generateTestPki(path.join(dir, 'pki'));
  CERT = fs.readFileSync(pki.clientCert, 'utf8');
  KEY = fs.readFileSync(pki.clientKey, 'utf8');
  CA = fs.readFileSync(pki.caCert, 'utf8');
  files = { cert: path.join(dir, 'client.pem'), key: path.join(dir, 'client.key'), ca: path.join(dir, 'ca.pem'), notPem: path.join(dir, 'client.der') };
  fs.writeFileSync(files.cert, CERT);
  fs.writeFileSync(files.key, KEY);
  fs.writeFileSync(files.ca, CA);
  fs.writeFileSync(files.notPem, Buffer.from([0x30, 0x82, 0x01, 0x0a]));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function toml(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function configError(fn: () => unknown): PantheonError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PantheonError);
    expect((err as PantheonError).type).toBe('config_invalid');
    return err as PantheonError;
  }
  throw new Error('expected a config_invalid error, nothing was thrown');
}

/** Nothing secret in what Pantheon logs or puts in an error. */
function expectNoSecrets(target: TemporalConnection): void {
  const shown = describeTemporalConnection(target) + JSON.stringify(target.summary);
  expect(shown).not.toContain(API_KEY);
  expect(shown).not.toContain(KEY.split('\n')[1]);
}

const PROFILES = () => `
[profile.default]
address = "localhost:7233"
namespace = "local"

[profile.cloud]
address = "pantheon.a1b2c.tmprl.cloud:7233"
namespace = "pantheon.a1b2c"
api_key = "${API_KEY}"

[profile.mtls]
address = "pantheon.a1b2c.tmprl.cloud:7233"
namespace = "pantheon.a1b2c"
[profile.mtls.tls]
client_cert_path = "${files.cert}"
client_key_path = "${files.key}"
server_ca_cert_path = "${files.ca}"
server_name = "pantheon.a1b2c.tmprl.cloud"
[profile.mtls.grpc_meta]
x-team = "agents"
`;

describe('loadTemporalConnection: where the settings come from', () => {
  it('with nothing set, names no server: plaintext, namespace default (npm start then runs a dev server)', () => {
    const target = loadTemporalConnection({});
    expect(target).toEqual({ address: undefined, namespace: 'default', apiKey: undefined, tls: false, summary: { addressFrom: 'default', apiKeyStatus: 'unset', tls: 'off' } });
    expect(clientConnectionOptions(target)).toEqual({ address: 'localhost:7233', tls: false, apiKey: undefined, metadata: undefined });
  });

  it('reads TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE as before, plaintext', () => {
    const target = loadTemporalConnection({ TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_NAMESPACE: 'pantheon-prod' });
    expect(target.address).toBe('temporal.internal:7233');
    expect(target.namespace).toBe('pantheon-prod');
    expect(target.summary.addressFrom).toBe('TEMPORAL_ADDRESS');
    expect(workerConnectionOptions(target)).toEqual({ address: 'temporal.internal:7233', tls: false, apiKey: undefined, metadata: undefined });
  });

  it('turns TLS on when an API key is set, and keeps the key out of every description', () => {
    const target = loadTemporalConnection({ TEMPORAL_ADDRESS: 'pantheon.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'pantheon.a1b2c', TEMPORAL_API_KEY: API_KEY });
    expect(target.tls).toEqual({});
    expect(clientConnectionOptions(target)).toMatchObject({ apiKey: API_KEY, tls: {} });
    expect(workerConnectionOptions(target)).toMatchObject({ apiKey: API_KEY, tls: {} });
    expect(describeTemporalConnection(target)).toBe('pantheon.a1b2c.tmprl.cloud:7233 (TEMPORAL_ADDRESS), namespace pantheon.a1b2c, api key: set, tls: on');
    expectNoSecrets(target);
  });

  it('lets TEMPORAL_TLS=false keep an API key on plaintext (a local proxy in front of the server)', () => {
    const target = loadTemporalConnection({ TEMPORAL_ADDRESS: 'proxy:7233', TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS: 'false' });
    expect(target.tls).toBe(false);
    expect(target.apiKey).toBe(API_KEY);
  });

  it('uses the file\'s "default" profile when TEMPORAL_PROFILE is unset', () => {
    const file = toml('default.toml', PROFILES());
    const target = loadTemporalConnection({ TEMPORAL_CONFIG_FILE: file });
    expect(target).toMatchObject({ address: 'localhost:7233', namespace: 'local', tls: false });
    expect(target.summary).toMatchObject({ addressFrom: `profile "default" in ${file}`, profile: 'default', configFile: file });
  });

  it('uses the profile TEMPORAL_PROFILE names: an API key in the file implies TLS', () => {
    const file = toml('cloud.toml', PROFILES());
    const target = loadTemporalConnection({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' });
    expect(target).toMatchObject({ address: 'pantheon.a1b2c.tmprl.cloud:7233', namespace: 'pantheon.a1b2c', apiKey: API_KEY, tls: {} });
    expectNoSecrets(target);
  });

  it('lets environment variables override the profile field by field', () => {
    const file = toml('override.toml', PROFILES());
    const target = loadTemporalConnection({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud', TEMPORAL_NAMESPACE: 'pantheon-staging.a1b2c', TEMPORAL_ADDRESS: 'staging.tmprl.cloud:7233' });
    expect(target).toMatchObject({ address: 'staging.tmprl.cloud:7233', namespace: 'pantheon-staging.a1b2c', apiKey: API_KEY });
    expect(target.summary.addressFrom).toBe('TEMPORAL_ADDRESS');
  });

  it('reads a profile\'s client certificate, key and server CA into Buffers, with its server name and gRPC headers', () => {
    const file = toml('mtls.toml', PROFILES());
    const target = loadTemporalConnection({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'mtls' });
    const tls = clientConnectionOptions(target).tls as { clientCertPair: { crt: Buffer; key: Buffer }; serverRootCACertificate: Buffer; serverNameOverride: string };
    expect(Buffer.isBuffer(tls.clientCertPair.crt)).toBe(true);
    expect(tls.clientCertPair.crt.toString()).toBe(CERT);
    expect(tls.clientCertPair.key.toString()).toBe(KEY);
    expect(tls.serverRootCACertificate.toString()).toBe(CA);
    expect(tls.serverNameOverride).toBe('pantheon.a1b2c.tmprl.cloud');
    expect(workerConnectionOptions(target).metadata).toEqual({ 'x-team': 'agents' });
    expect(describeTemporalConnection(target)).toBe(
      `pantheon.a1b2c.tmprl.cloud:7233 (profile "mtls" in ${file}), namespace pantheon.a1b2c, api key: unset, tls: on, ` +
        `client cert ${files.cert}, server CA ${files.ca}, server name pantheon.a1b2c.tmprl.cloud`,
    );
    expectNoSecrets(target);
  });

  it('reads the client certificate and key from TEMPORAL_TLS_* paths or inline PEM', () => {
    const byPath = loadTemporalConnection({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS_CLIENT_CERT_PATH: files.cert, TEMPORAL_TLS_CLIENT_KEY_PATH: files.key });
    expect(byPath.summary).toMatchObject({ tls: 'on', clientCert: files.cert });
    const inline = loadTemporalConnection({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS_CLIENT_CERT_DATA: CERT, TEMPORAL_TLS_CLIENT_KEY_DATA: KEY });
    expect((inline.tls as unknown as { clientCertPair: { key: Buffer } }).clientCertPair.key.toString()).toBe(KEY);
    expect(inline.summary.clientCert).toBe('inline (TEMPORAL_TLS_CLIENT_CERT_DATA)');
    expectNoSecrets(inline);
  });

  it('takes an empty temporal.toml (or one without profiles) as no profiles, not as an error', () => {
    const empty = toml('empty.toml', '');
    expect(loadTemporalConnection({ TEMPORAL_CONFIG_FILE: empty, TEMPORAL_ADDRESS: 'h:7233' })).toMatchObject({ address: 'h:7233', tls: false });
    const comments = toml('comments.toml', '# profiles go here\n');
    expect(loadTemporalConnection({ TEMPORAL_CONFIG_FILE: comments }).address).toBeUndefined();
  });

  it('finds the CLI\'s default temporal.toml when TEMPORAL_CONFIG_FILE is unset', () => {
    const base = path.join(dir, 'home');
    // Linux reads XDG_CONFIG_HOME, macOS HOME/Library/Application Support, Windows APPDATA.
    const configDir = os.platform() === 'win32' ? base : os.platform() === 'darwin' ? path.join(base, 'Library', 'Application Support') : path.join(base, 'xdg');
    fs.mkdirSync(path.join(configDir, 'temporalio'), { recursive: true });
    fs.writeFileSync(path.join(configDir, 'temporalio', 'temporal.toml'), PROFILES());
    const target = loadTemporalConnection({ HOME: base, XDG_CONFIG_HOME: path.join(base, 'xdg'), APPDATA: base, TEMPORAL_PROFILE: 'cloud' });
    expect(target.address).toBe('pantheon.a1b2c.tmprl.cloud:7233');
    expect(target.summary.configFile).toBe(path.join(configDir, 'temporalio', 'temporal.toml'));
  });

  it('gives loadConfig the same address and namespace (the Web UI links and the CLI use them)', () => {
    const file = toml('config.toml', PROFILES());
    const config = loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' });
    expect(config.temporal.address).toBe('pantheon.a1b2c.tmprl.cloud:7233');
    expect(config.temporal.namespace).toBe('pantheon.a1b2c');
    expect(config.temporal.connection.summary.apiKeyStatus).toBe('set');
  });
});

describe('loadTemporalConnection: bad settings are named, nothing connects', () => {
  it('a TEMPORAL_CONFIG_FILE that does not exist', () => {
    const missing = path.join(dir, 'nope.toml');
    const err = configError(() => loadTemporalConnection({ TEMPORAL_CONFIG_FILE: missing }));
    expect(err.message).toBe(`environment variable TEMPORAL_CONFIG_FILE: cannot read ${missing} (ENOENT)`);
    expect(err.details).toEqual({ variable: 'TEMPORAL_CONFIG_FILE', file: missing });
  });

  it('a malformed temporal.toml, with the file named', () => {
    const file = toml('broken.toml', '[profile.default\naddress = "x"\n');
    const err = configError(() => loadTemporalConnection({ TEMPORAL_CONFIG_FILE: file }));
    expect(err.message).toMatch(new RegExp(`^Temporal config file ${file}: `));
    expect(err.details).toEqual({ file });
  });

  it('a "profile" key that is not a table of profiles', () => {
    const file = toml('flat.toml', 'profile = "cloud"\n');
    const err = configError(() => loadTemporalConnection({ TEMPORAL_CONFIG_FILE: file }));
    expect(err.message).toBe(`Temporal config file ${file}: "profile" must be a table of profiles ([profile.NAME])`);
  });

  it('an unknown profile, listing the ones there are', () => {
    const file = toml('profiles.toml', PROFILES());
    const err = configError(() => loadTemporalConnection({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' }));
    expect(err.message).toBe(`environment variable TEMPORAL_PROFILE: no profile "prod" in ${file} (profiles: default, cloud, mtls)`);
  });

  it('a misspelt key in the profile in use (ignored by the SDK and the CLI, so npm start would run a dev server instead), naming file, profile and key', () => {
    const file = toml('typo.toml', `${PROFILES()}\n[profile.typo]\nadress = "10.0.0.5:7233"\nnamespace = "prod"\n[profile.typo.tls]\nserver_nam = "x"\n`);
    const err = configError(() => loadTemporalConnection({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'typo' }));
    expect(err.message).toMatch(new RegExp(`^Temporal config file ${file.replace(/[.*+?^$()|[\]\\]/g, '\\$&')}: profile "typo": unknown keys adress, tls\\.server_nam \\(a profile knows address, namespace, `));
    // Another profile's keys are that profile's business.
    expect(loadTemporalConnection({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' }).address).toBe('pantheon.a1b2c.tmprl.cloud:7233');
  });

  it.each([
    ['tls.disabled', '[profile.default]\naddress = "h:7233"\n[profile.default.tls]\ndisabled = "true"\n', 'must be true or false, without quotes (got a string)'],
    ['namespace', '[profile.default]\naddress = "h:7233"\nnamespace = 5\n', 'must be a string in quotes (got a number)'],
    ['address', '[profile.default]\naddress = ["h:7233"]\n', 'must be a string in quotes (got an array)'],
    ['api_key', '[profile.default]\naddress = "h:7233"\napi_key = 12345\n', 'must be a string in quotes (got a number)'],
    ['tls', '[profile.default]\naddress = "h:7233"\ntls = true\n', 'must be a table (got true)'],
    ['tls.client_cert_path', '[profile.default]\naddress = "h:7233"\n[profile.default.tls]\nclient_cert_path = 1\n', 'must be a string in quotes (got a number)'],
    ['grpc_meta.x-team', '[profile.default]\naddress = "h:7233"\n[profile.default.grpc_meta]\nx-team = 7\n', 'must be a string in quotes (got a number)'],
    ['grpc_meta.x-team', '[profile.default]\naddress = "h:7233"\n[profile.default.grpc_meta]\nx-team = "a\\nb"\n', 'the value may hold only printable ASCII (no newline, tab or other control character)'],
  ])('a profile field of the wrong type (%s), naming the file, the profile and the field, never the value', (field, text, problem) => {
    const file = toml('types.toml', text);
    const err = configError(() => loadTemporalConnection({ TEMPORAL_CONFIG_FILE: file }));
    expect(err.message).toBe(`Temporal config file ${file}: profile "default" field ${field}: ${problem}`);
    expect(err.details).toEqual({ file, profile: 'default', field });
    expect(err.message).not.toContain('12345');
  });

  it('checks the types of the profile in use only', () => {
    const file = toml('types-other.toml', '[profile.default]\naddress = "h:7233"\n[profile.other]\nnamespace = 5\n');
    expect(loadTemporalConnection({ TEMPORAL_CONFIG_FILE: file }).address).toBe('h:7233');
  });

  it('a profile asked for with no config file at all', () => {
    const err = configError(() => loadTemporalConnection({ TEMPORAL_PROFILE: 'cloud' }));
    expect(err.details).toEqual({ variable: 'TEMPORAL_PROFILE' });
  });

  it('an unreadable client certificate from the environment, naming the variable and the path', () => {
    const missing = path.join(dir, 'missing.pem');
    const err = configError(() => loadTemporalConnection({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS_CLIENT_CERT_PATH: missing, TEMPORAL_TLS_CLIENT_KEY_PATH: files.key }));
    expect(err.message).toBe(`environment variable TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read the client certificate ${missing} (ENOENT)`);
  });

  it('an unreadable server CA from a profile, naming the profile, file and field', () => {
    const missing = path.join(dir, 'missing-ca.pem');
    const file = toml('bad-ca.toml', `[profile.default]\naddress = "h:7233"\n[profile.default.tls]\nserver_ca_cert_path = "${missing}"\n`);
    const err = configError(() => loadTemporalConnection({ TEMPORAL_CONFIG_FILE: file }));
    expect(err.message).toBe(`profile "default" in ${file} field tls.server_ca_cert_path: cannot read the server CA certificate ${missing} (ENOENT)`);
  });

  it.each([
    ['a private key', () => fs.readFileSync(pki.clientKey, 'utf8'), 'it holds a private key, not a certificate'],
    ['a truncated certificate', () => CA.slice(0, 300), 'its certificate has no "-----END CERTIFICATE-----" line (a truncated file?)'],
    ['a damaged certificate', () => '-----BEGIN CERTIFICATE-----\nhello garbage\n-----END CERTIFICATE-----\n', 'its certificate does not parse'],
    ['a bundle with one damaged certificate', () => `${CA}-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n`, 'certificate 2 of 2 does not parse'],
  ])('a server CA that is %s, naming the variable (it was taken, and every connect failed SELF_SIGNED_CERT_IN_CHAIN)', (_what, text, problem) => {
    const file = path.join(dir, `bad-ca-${Math.random().toString(36).slice(2)}.pem`);
    fs.writeFileSync(file, text());
    const err = configError(() => loadTemporalConnection({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS_SERVER_CA_CERT_PATH: file }));
    expect(err.message).toMatch(new RegExp(`^environment variable TEMPORAL_TLS_SERVER_CA_CERT_PATH: the server CA certificate ${file} is not usable: `));
    expect(err.message).toContain(problem);
    expect(err.details).toEqual({ variable: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', field: 'tls.server_ca_cert_path' });
  });

  it('a file that is not PEM', () => {
    const err = configError(() => loadTemporalConnection({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS_CLIENT_CERT_PATH: files.notPem, TEMPORAL_TLS_CLIENT_KEY_PATH: files.key }));
    expect(err.message).toBe(`environment variable TEMPORAL_TLS_CLIENT_CERT_PATH: the client certificate ${files.notPem} is not PEM (no "-----BEGIN" line)`);
  });

  it('a client certificate without its key', () => {
    const err = configError(() => loadTemporalConnection({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS_CLIENT_CERT_PATH: files.cert }));
    expect(err.message).toMatch(/client certificate is set without its pair: set TEMPORAL_TLS_CLIENT_KEY_PATH/);
  });

  it('a client key that is not the certificate\'s, naming both variables (OpenSSL\'s words alone name neither)', () => {
    const err = configError(() =>
      loadTemporalConnection({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert, TEMPORAL_TLS_CLIENT_KEY_PATH: pki.strangerKey }),
    );
    expect(err.message).toBe(
      `environment variable TEMPORAL_TLS_CLIENT_CERT_PATH and environment variable TEMPORAL_TLS_CLIENT_KEY_PATH: the client key ${pki.strangerKey} ` +
        `is not the private key of the certificate ${pki.clientCert} (error:05800074:x509 certificate routines::key values mismatch)`,
    );
    expect(err.details).toEqual({
      variables: ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH'],
      fields: ['tls.client_cert_path', 'tls.client_key_path'],
    });
    expect(err.message).not.toContain(KEY.split('\n')[1]);
  });

  it('a swapped client certificate and key in a profile, naming the file, the profile and both fields', () => {
    const file = toml('swapped.toml', `[profile.default]\naddress = "h:7233"\n[profile.default.tls]\nclient_cert_path = "${pki.clientKey}"\nclient_key_path = "${pki.clientCert}"\n`);
    const err = configError(() => loadTemporalConnection({ TEMPORAL_CONFIG_FILE: file }));
    expect(err.message).toBe(
      `profile "default" in ${file} field tls.client_cert_path and profile "default" in ${file} field tls.client_key_path: ` +
        `the client certificate and key are swapped (${pki.clientKey} holds a private key, ${pki.clientCert} a certificate)`,
    );
  });

  it('inline PEM that is not a certificate, naming both variables', () => {
    const notACert = '-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n';
    const err = configError(() => loadTemporalConnection({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS_CLIENT_CERT_DATA: notACert, TEMPORAL_TLS_CLIENT_KEY_DATA: KEY }));
    expect(err.message).toMatch(
      /^environment variable TEMPORAL_TLS_CLIENT_CERT_DATA and environment variable TEMPORAL_TLS_CLIENT_KEY_DATA: the client certificate inline \(TEMPORAL_TLS_CLIENT_CERT_DATA\) is not a usable certificate \(error:/,
    );
  });

  it('both a path and inline data for the same certificate', () => {
    const err = configError(() => loadTemporalConnection({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS_CLIENT_CERT_PATH: files.cert, TEMPORAL_TLS_CLIENT_CERT_DATA: CERT }));
    expect(err.message).toMatch(/client_cert_path and client_cert_data/);
  });

  it.each([
    ['TEMPORAL_TLS', { TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS: 'yes' }, /must be true or false \(got "yes"\)/],
    ['TEMPORAL_API_KEY', { TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_API_KEY: '' }, /must not be empty/],
    ['TEMPORAL_ADDRESS', { TEMPORAL_ADDRESS: 'https://h:7233' }, /give host:port without a scheme/],
    ['TEMPORAL_ADDRESS', { TEMPORAL_ADDRESS: '127.0.0.1' }, /give host:port, such as localhost:7233 \(got "127\.0\.0\.1"\)/],
    ['TEMPORAL_ADDRESS', { TEMPORAL_ADDRESS: 'temporal.internal:99999' }, /give host:port/],
    ['TEMPORAL_ADDRESS', { TEMPORAL_ADDRESS: ':7233' }, /give host:port/],
    ['TEMPORAL_ADDRESS', { TEMPORAL_API_KEY: API_KEY }, /an API key is configured \(environment variables\) but no server address: set TEMPORAL_ADDRESS/],
    ['TEMPORAL_TLS_DISABLE_HOST_VERIFICATION', { TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' }, /cannot skip host verification/],
  ])('%s: %j', (variable, env, message) => {
    const err = configError(() => loadTemporalConnection(env as Record<string, string>));
    expect(err.message).toMatch(message);
    expect(err.message).toContain(variable);
    expect(err.message).not.toContain(API_KEY);
  });

  it.each([
    ['TEMPORAL_GRPC_META_X_TEAM', 'agents\nx-injected: 1', /^environment variable TEMPORAL_GRPC_META_X_TEAM: the value may hold only printable ASCII/],
    ['TEMPORAL_GRPC_META_', 'x', /^environment variable TEMPORAL_GRPC_META_: the header name is empty$/],
    ['TEMPORAL_GRPC_META_X TEAM', 'agents', /^environment variable TEMPORAL_GRPC_META_X TEAM: the header name "x team" may hold only/],
    ['TEMPORAL_GRPC_META_TRACE_BIN', 'abc', /binary header/],
  ])('a bad gRPC header %s is config_invalid naming the variable, before connecting (not temporal_unavailable)', (variable, value, message) => {
    const err = configError(() => loadTemporalConnection({ TEMPORAL_ADDRESS: 'h:7233', [variable]: value }));
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('agents');
    expect(err.details).toEqual({ variable });
  });

  it('takes good gRPC headers from TEMPORAL_GRPC_META_*, an empty one removing the profile\'s', () => {
    const file = toml('meta.toml', PROFILES());
    const target = loadTemporalConnection({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'mtls', TEMPORAL_GRPC_META_X_TEAM: '', TEMPORAL_GRPC_META_X_REGION: 'eu-west 1' });
    expect(target.metadata).toEqual({ 'x-region': 'eu-west 1' });
  });

  it('accepts host:port, an IPv6 literal included', () => {
    for (const address of ['localhost:7233', '10.0.0.5:7233', '[::1]:7233', 'ns.acct.tmprl.cloud:7233']) expect(loadTemporalConnection({ TEMPORAL_ADDRESS: address }).address).toBe(address);
  });

  it('says where the connection is described that certificates given with TLS switched off are not used', () => {
    const target = loadTemporalConnection({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS: 'false', TEMPORAL_TLS_CLIENT_CERT_PATH: '/nonexistent.pem', TEMPORAL_TLS_CLIENT_KEY_PATH: '/nonexistent.key' });
    expect(target.tls).toBe(false);
    expect(describeTemporalConnection(target)).toContain('tls: off, TLS is off, so its client certificate, client key set are not used');
    expect(describeTemporalConnection(loadTemporalConnection({ TEMPORAL_ADDRESS: 'h:7233' }))).not.toContain('not used');
  });

  it('stops loadConfig too (npm start, npm run worker and the CLI exit 1 before connecting)', () => {
    const err = configError(() => loadConfig({ TEMPORAL_CONFIG_FILE: path.join(dir, 'absent.toml') }));
    expect(err.details.variable).toBe('TEMPORAL_CONFIG_FILE');
  });
});
