import { PantheonError } from '../errors';

/** What to do about a namespace the server does not have, in one sentence (the CLI's hint says the same). */
export function namespaceAdvice(namespace: string): string {
  return `the Temporal server has no namespace "${namespace}": TEMPORAL_NAMESPACE (or the temporal.toml profile's namespace) names it; ` +
    `create it (temporal operator namespace create --namespace ${namespace}) or name one that exists`;
}

/** A server that answers without the configured namespace: a setting to fix, not a server to wait for (exit 1). */
export function namespaceMissing(address: string, namespace: string, cause: unknown): PantheonError {
  return PantheonError.of('config_invalid', `Temporal at ${address}: ${namespaceAdvice(namespace)}`, { cause, details: { variable: 'TEMPORAL_NAMESPACE', address, namespace } });
}
