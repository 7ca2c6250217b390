import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConnectionOptions, TLSConfig } from '@temporalio/client';
import { loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import { loadFromTomlData } from '@temporalio/envconfig/lib/envconfig-toml';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { PantheonError } from '../errors';
import { checkServerCa } from './server-ca';
import { checkClientCertPair, type PemSource } from './client-cert-pair';
import { badGrpcMetaVariable } from './grpc-meta';
import { badProfileField } from './temporal-profile';

/**
 * Where Pantheon's client and workers connect: the Temporal SDK's own environment configuration
 * (`@temporalio/envconfig`), so the variables and `temporal.toml` profiles the Temporal CLI reads
 * work here unchanged. Environment variables override the profile's fields. Every Connection and
 * NativeConnection Pantheon opens takes its options from here.
 *
 * @example
 *   const target = loadTemporalConnection(process.env);  // TEMPORAL_ADDRESS, TEMPORAL_PROFILE, ...
 *   await Connection.connect(clientConnectionOptions(target));
 *   await NativeConnection.connect(workerConnectionOptions(target));
 */

/** Where a client or worker connects when nothing names a server (the CLI's default too). */
export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

export interface TemporalConnection {
  /** The frontend, host:port; undefined: nothing configured (`npm start` then runs a dev server). */
  address?: string;
  namespace: string;
  /** Undefined: none. Sent as `Authorization: Bearer …`; never logged. */
  apiKey?: string;
  /** false: plaintext. An object: TLS (an empty one trusts the system's roots). */
  tls: false | TLSConfig;
  /** gRPC headers from `grpc_meta` / TEMPORAL_GRPC_META_*. */
  metadata?: Record<string, string>;
  /** Where each setting came from and what TLS uses, without secrets: for log lines and errors. */
  summary: TemporalConnectionSummary;
}

export interface TemporalConnectionSummary {
  /** "TEMPORAL_ADDRESS", `profile "cloud" in /path/temporal.toml`, or "default". */
  addressFrom: string;
  profile?: string;
  configFile?: string;
  apiKeyStatus: 'set' | 'unset';
  tls: 'on' | 'off';
  /** A path, or "inline (VARIABLE or field)" for PEM given as data. */
  clientCert?: string;
  serverCa?: string;
  serverName?: string;
  /** TLS settings given while TLS is off (TEMPORAL_TLS=false, tls.disabled): not used. */
  tlsIgnored?: string[];
}

/** Environment variables this module reads (beyond TEMPORAL_GRPC_META_*), as the SDK and CLI name them. */
export const TEMPORAL_CONNECTION_VARIABLES = [
  'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_PROFILE',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
] as const;

type Env = Record<string, string | undefined>;

function invalid(message: string, details: Record<string, unknown>, cause?: unknown): PantheonError {
  return PantheonError.of('config_invalid', message, { details, cause });
}

/**
 * The connection settings from `env` and the config file it points to (TEMPORAL_CONFIG_FILE, else
 * the CLI's default path, e.g. ~/.config/temporalio/temporal.toml), profile TEMPORAL_PROFILE (else
 * "default"). Certificate files are read here, so a bad path fails before anything connects.
 * Throws config_invalid naming the variable, file or field at fault.
 */
export function loadTemporalConnection(env: Env = process.env): TemporalConnection {
  for (const name of TEMPORAL_CONNECTION_VARIABLES) {
    if (env[name] === '') throw invalid(`environment variable ${name}: must not be empty (unset it instead)`, { variable: name });
  }
  for (const name of ['TEMPORAL_TLS', 'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION'] as const) {
    const value = env[name];
    // The SDK reads anything but "true"/"1" as false: "yes" would silently turn TLS off.
    if (value !== undefined && !['true', 'false', '1', '0'].includes(value)) {
      throw invalid(`environment variable ${name}: must be true or false (got "${value}")`, { variable: name });
    }
  }
  if (env.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION === 'true' || env.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION === '1') {
    throw invalid(
      'environment variable TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: the TypeScript SDK cannot skip host verification; ' +
        "set TEMPORAL_TLS_SERVER_NAME to the name in the server's certificate instead",
      { variable: 'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION' },
    );
  }

  const badMeta = badGrpcMetaVariable(env);
  if (badMeta) throw invalid(`environment variable ${badMeta.variable}: ${badMeta.problem}`, { variable: badMeta.variable });

  const file = readConfigFile(env);
  const profileName = env.TEMPORAL_PROFILE;
  const profile = loadProfile(env, file, profileName);
  const profileLabel = file ? `profile "${profileName ?? 'default'}" in ${file.path}` : undefined;
  const origin = (variable: string, field: string) =>
    env[variable] !== undefined ? `environment variable ${variable}` : `${profileLabel} field ${field}`;

  const address = profile.address;
  if (address !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(address)) {
    throw invalid(`${origin('TEMPORAL_ADDRESS', 'address')}: give host:port without a scheme (got "${address}")`, { field: 'address' });
  }
  // Without a port the SDK waits out its connect deadline and names nothing.
  const port = address === undefined ? undefined : /:(\d{1,5})$/.exec(address)?.[1];
  if (address !== undefined && (port === undefined || Number(port) < 1 || Number(port) > 65535 || /^:/.test(address))) {
    throw invalid(`${origin('TEMPORAL_ADDRESS', 'address')}: give host:port, such as localhost:7233 (got "${address}")`, { field: 'address' });
  }
  const apiKey = profile.apiKey;
  // As the SDK decides (envconfig toClientOptions): a tls section or TEMPORAL_TLS* switches TLS on
  // unless disabled; with none, an API key implies TLS.
  const tlsOn = profile.tls ? profile.tls.disabled !== true : apiKey !== undefined;
  const summary: TemporalConnectionSummary = {
    addressFrom: address === undefined ? 'default' : env.TEMPORAL_ADDRESS !== undefined ? 'TEMPORAL_ADDRESS' : profileLabel!,
    ...(file ? { configFile: file.path, profile: profileName ?? 'default' } : {}),
    apiKeyStatus: apiKey === undefined ? 'unset' : 'set',
    tls: tlsOn ? 'on' : 'off',
  };
  let tls: false | TLSConfig = false;
  if (tlsOn) {
    const t = profile.tls ?? {};
    const read = (what: string, source: ConfigDataSource | undefined, variable: string, field: string) =>
      source === undefined ? undefined : readPem(what, source, variable, field, origin);
    const crt = read('client certificate', t.clientCert, t.clientCert && 'path' in t.clientCert ? 'TEMPORAL_TLS_CLIENT_CERT_PATH' : 'TEMPORAL_TLS_CLIENT_CERT_DATA', 'tls.client_cert_path');
    const key = read('client key', t.clientKey, t.clientKey && 'path' in t.clientKey ? 'TEMPORAL_TLS_CLIENT_KEY_PATH' : 'TEMPORAL_TLS_CLIENT_KEY_DATA', 'tls.client_key_path');
    const ca = read('server CA certificate', t.serverCACert, t.serverCACert && 'path' in t.serverCACert ? 'TEMPORAL_TLS_SERVER_CA_CERT_PATH' : 'TEMPORAL_TLS_SERVER_CA_CERT_DATA', 'tls.server_ca_cert_path');
    if ((crt === undefined) !== (key === undefined)) {
      const [have, missing] = crt ? ['client certificate', 'TEMPORAL_TLS_CLIENT_KEY_PATH (or tls.client_key_path)'] : ['client key', 'TEMPORAL_TLS_CLIENT_CERT_PATH (or tls.client_cert_path)'];
      throw invalid(`a TLS ${have} is set without its pair: set ${missing} too`, { field: crt ? 'tls.client_key' : 'tls.client_cert' });
    }
    if (crt && key) checkClientCertPair(crt, key);
    if (ca) checkServerCa(ca);
    tls = {
      ...(t.serverName ? { serverNameOverride: t.serverName } : {}),
      ...(ca ? { serverRootCACertificate: ca.data } : {}),
      ...(crt && key ? { clientCertPair: { crt: crt.data, key: key.data } } : {}),
    };
    if (crt) summary.clientCert = crt.label;
    if (ca) summary.serverCa = ca.label;
    if (t.serverName) summary.serverName = t.serverName;
  }
  if (!tlsOn && profile.tls) {
    // Certificates with TLS switched off (TEMPORAL_TLS=false, tls.disabled) are not read: say so where the connection is described.
    const t = profile.tls;
    const unused = [t.clientCert && 'client certificate', t.clientKey && 'client key', t.serverCACert && 'server CA certificate', t.serverName && 'server name'].filter((x): x is string => !!x);
    if (unused.length > 0) summary.tlsIgnored = unused;
  }
  if (address === undefined && (tlsOn || apiKey !== undefined)) {
    // Without this, npm start would run a plaintext dev server and then talk TLS to it.
    throw invalid(
      `${apiKey !== undefined ? 'an API key' : 'TLS'} is configured (${profileLabel ?? 'environment variables'}) but no server address: ` +
        `set TEMPORAL_ADDRESS${profileLabel ? ' or the profile\'s address' : ''}`,
      { variable: 'TEMPORAL_ADDRESS' },
    );
  }
  return {
    address,
    namespace: profile.namespace ?? 'default',
    apiKey,
    tls,
    ...(profile.grpcMeta && Object.keys(profile.grpcMeta).length ? { metadata: profile.grpcMeta } : {}),
    summary,
  };
}

/** A plaintext connection, e.g. to a dev server Pantheon started itself. */
export function localTemporalConnection(address: string, namespace: string, addressFrom = 'the dev server started here'): TemporalConnection {
  return { address, namespace, tls: false, summary: { addressFrom, apiKeyStatus: 'unset', tls: 'off' } };
}

/** Options for the client's Connection (`@temporalio/client`). */
export function clientConnectionOptions(target: TemporalConnection): ConnectionOptions & { address: string } {
  return { address: target.address ?? DEFAULT_TEMPORAL_ADDRESS, tls: target.tls, apiKey: target.apiKey, metadata: target.metadata };
}

/** Options for a worker's NativeConnection (`@temporalio/worker`, the Rust core). */
export function workerConnectionOptions(target: TemporalConnection): NativeConnectionOptions & { address: string } {
  return { address: target.address ?? DEFAULT_TEMPORAL_ADDRESS, tls: target.tls, apiKey: target.apiKey, metadata: target.metadata };
}

/**
 * One line that says where Pantheon connects and how, fit for a log or an error: never the API
 * key or key material.
 *
 * @example "ns.acct.tmprl.cloud:7233 (TEMPORAL_ADDRESS), namespace ns.acct, api key: set, tls: on"
 */
export function describeTemporalConnection(target: TemporalConnection): string {
  const s = target.summary;
  const parts = [
    `${target.address ?? DEFAULT_TEMPORAL_ADDRESS} (${s.addressFrom})`,
    `namespace ${target.namespace}`,
    `api key: ${s.apiKeyStatus}`,
    `tls: ${s.tls}`,
  ];
  if (s.clientCert) parts.push(`client cert ${s.clientCert}`);
  if (s.serverCa) parts.push(`server CA ${s.serverCa}`);
  if (s.serverName) parts.push(`server name ${s.serverName}`);
  if (s.tlsIgnored?.length) parts.push(`TLS is off, so its ${s.tlsIgnored.join(', ')} set ${s.tlsIgnored.length === 1 ? 'is' : 'are'} not used`);
  return parts.join(', ');
}

interface ConfigFile {
  path: string;
  text: string;
}

/** TEMPORAL_CONFIG_FILE must exist; the default path may be absent (then only variables count). */
function readConfigFile(env: Env): ConfigFile | undefined {
  const explicit = env.TEMPORAL_CONFIG_FILE;
  const file = explicit ?? defaultConfigFile(env);
  if (file === undefined) return undefined;
  try {
    return { path: file, text: fs.readFileSync(file, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!explicit && code === 'ENOENT') return undefined;
    const where = explicit ? `environment variable TEMPORAL_CONFIG_FILE: cannot read ${file}` : `Temporal config file ${file}: cannot read it`;
    throw invalid(`${where} (${code ?? (err as Error).message})`, explicit ? { variable: 'TEMPORAL_CONFIG_FILE', file } : { file }, err);
  }
}

/** The CLI's and SDK's default location (envconfig getDefaultConfigFilePath). */
function defaultConfigFile(env: Env): string | undefined {
  const platform = os.platform();
  let dir: string | undefined;
  if (platform === 'win32') dir = env.APPDATA;
  else if (platform === 'darwin') dir = env.HOME && path.join(env.HOME, 'Library', 'Application Support');
  else dir = env.XDG_CONFIG_HOME ? (path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : undefined) : env.HOME && path.join(env.HOME, '.config');
  return dir ? path.join(dir, 'temporalio', 'temporal.toml') : undefined;
}

function loadProfile(env: Env, file: ConfigFile | undefined, profileName: string | undefined): ClientConfigProfile {
  let hasProfiles = false;
  if (file) {
    let profiles: unknown;
    try {
      profiles = loadFromTomlData(file.text, false).profile;
    } catch (err) {
      const line = (err as { line?: number }).line; // smol-toml's TomlError
      throw invalid(`Temporal config file ${file.path}: ${(err as Error).message.split('\n')[0]}${line ? ` (line ${line})` : ''}`, { file: file.path }, err);
    }
    if (profiles !== undefined && (typeof profiles !== 'object' || profiles === null || Array.isArray(profiles))) {
      throw invalid(`Temporal config file ${file.path}: "profile" must be a table of profiles ([profile.NAME])`, { file: file.path });
    }
    // An empty file, or one without profiles, is no error (the SDK 1.24 loader would throw a TypeError).
    const names = Object.keys(profiles ?? {});
    hasProfiles = names.length > 0;
    if (profileName !== undefined && !names.includes(profileName)) {
      throw invalid(
        `environment variable TEMPORAL_PROFILE: no profile "${profileName}" in ${file.path} (profiles: ${names.join(', ') || 'none'})`,
        { variable: 'TEMPORAL_PROFILE', file: file.path },
      );
    }
    const chosen = profileName ?? 'default';
    const unknown = unknownProfileKeys((profiles as Record<string, unknown> | undefined)?.[chosen]);
    if (unknown.length > 0) {
      // A misspelt key ("adress") is ignored by the SDK's loader and the Temporal CLI: npm start
      // would then run a local dev server for a profile meant for a cluster.
      throw invalid(`Temporal config file ${file.path}: profile "${chosen}": unknown key${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')} (a profile knows ${[...PROFILE_KEYS].join(', ')}; its tls table ${[...TLS_KEYS].join(', ')})`, {
        file: file.path,
        field: unknown[0],
      });
    }
    const chosenProfile = (profiles as Record<string, unknown> | undefined)?.[chosen];
    const bad = chosenProfile === undefined ? undefined : badProfileField(chosenProfile);
    if (bad) {
      throw invalid(`Temporal config file ${file.path}: profile "${chosen}"${bad.field ? ` field ${bad.field}` : ''}: ${bad.problem}`, {
        file: file.path,
        profile: chosen,
        ...(bad.field ? { field: bad.field } : {}),
      });
    }
  } else if (profileName !== undefined) {
    throw invalid(
      `environment variable TEMPORAL_PROFILE: profile "${profileName}" asked for, but there is no config file (set TEMPORAL_CONFIG_FILE)`,
      { variable: 'TEMPORAL_PROFILE' },
    );
  }
  try {
    return loadClientConfigProfile({
      profile: profileName,
      ...(file && hasProfiles ? { configSource: { data: file.text } } : { disableFile: true }),
      overrideEnvVars: env as Record<string, string>,
    });
  } catch (err) {
    // e.g. both TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_CERT_DATA set.
    throw invalid(`Temporal connection settings${file ? ` (${file.path})` : ''}: ${(err as Error).message}`, file ? { file: file.path } : {}, err);
  }
}

/** The keys a profile may hold, as the SDK's strict loader (envconfig-toml.ts) and the Temporal CLI know them. */
const PROFILE_KEYS = new Set(['address', 'namespace', 'api_key', 'tls', 'codec', 'grpc_meta']);
const TLS_KEYS = new Set(['disabled', 'client_cert_path', 'client_key_path', 'client_cert_data', 'client_key_data', 'server_ca_cert_path', 'server_ca_cert_data', 'server_name']);

/** The keys of the profile in use neither knows (`tls.` before one in its tls table). */
function unknownProfileKeys(profile: unknown): string[] {
  if (typeof profile !== 'object' || profile === null || Array.isArray(profile)) return [];
  const table = profile as Record<string, unknown>;
  const tls = table.tls;
  const tlsKeys = typeof tls === 'object' && tls !== null && !Array.isArray(tls) ? Object.keys(tls).filter((k) => !TLS_KEYS.has(k)).map((k) => `tls.${k}`) : [];
  return [...Object.keys(table).filter((k) => !PROFILE_KEYS.has(k)), ...tlsKeys];
}

/** PEM from a path or inline data, with the variable or field it came from named on failure. */
function readPem(
  what: string,
  source: ConfigDataSource,
  variable: string,
  field: string,
  origin: (variable: string, field: string) => string,
): PemSource {
  const fieldUsed = 'path' in source ? field : field.replace(/_path$/, '_data');
  const from = origin(variable, fieldUsed);
  let data: Buffer;
  let label: string;
  if ('path' in source) {
    try {
      data = fs.readFileSync(source.path);
    } catch (err) {
      throw invalid(`${from}: cannot read the ${what} ${source.path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { variable, field, file: source.path }, err);
    }
    label = source.path;
  } else {
    data = Buffer.from(source.data);
    label = `inline (${from.replace(/^environment variable /, '')})`;
  }
  // grpc-js wants a Buffer (envconfig hands out Uint8Array); a non-PEM file fails deep in the TLS stack otherwise.
  if (!data.toString('latin1').includes('-----BEGIN ')) {
    throw invalid(`${from}: the ${what}${'path' in source ? ` ${source.path}` : ''} is not PEM (no "-----BEGIN" line)`, { variable, field });
  }
  return { data, label, from, variable, field: fieldUsed };
}
