import { normalizeGrpcMetaKey } from '@temporalio/envconfig/lib/envconfig-toml';

/** TEMPORAL_GRPC_META_<NAME>: one gRPC header per variable, as the SDK and the Temporal CLI read them. */
export const GRPC_META_PREFIX = 'TEMPORAL_GRPC_META_';

// grpc-js's rules (metadata.js), the stricter of the two stacks: the client refuses anything else
// only when it connects, and that failure reads as "Temporal unavailable" (exit 75, retry later).
const HEADER_NAME = /^[0-9a-z_.-]+$/;
const HEADER_VALUE = /^[ -~]*$/;

/**
 * What is wrong with a gRPC header as the SDK would send it (its name already normalised), or
 * undefined. Never quotes the value: headers carry tokens.
 *
 * @example grpcMetaProblem('x-team', 'a\nb') // 'the value may hold only printable ASCII …'
 */
export function grpcMetaProblem(name: string, value: string): string | undefined {
  if (name === '') return 'the header name is empty';
  if (!HEADER_NAME.test(name)) return `the header name "${name}" may hold only letters, digits, "_", "." and "-"`;
  if (name.endsWith('-bin')) return `"${name}" is a binary header (-bin), which these settings cannot give`;
  if (!HEADER_VALUE.test(value)) return 'the value may hold only printable ASCII (no newline, tab or other control character)';
  return undefined;
}

/** The first bad TEMPORAL_GRPC_META_* variable and why; an empty value (the SDK's "remove it") is fine. */
export function badGrpcMetaVariable(env: Record<string, string | undefined>): { variable: string; problem: string } | undefined {
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith(GRPC_META_PREFIX) || value === undefined || value === '') continue;
    const problem = grpcMetaProblem(normalizeGrpcMetaKey(variable.slice(GRPC_META_PREFIX.length)), value);
    if (problem) return { variable, problem };
  }
  return undefined;
}
