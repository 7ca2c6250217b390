import { normalizeGrpcMetaKey } from '@temporalio/envconfig/lib/envconfig-toml';
import { z } from 'zod';
import { grpcMetaProblem } from './grpc-meta';

/** What a TOML value is, for a message: never the value itself (api_key and headers are secrets). */
function kind(input: unknown): string {
  if (typeof input === 'string') return 'a string';
  if (typeof input === 'boolean') return input ? 'true' : 'false';
  if (typeof input === 'number' || typeof input === 'bigint') return 'a number';
  if (Array.isArray(input)) return 'an array';
  if (input instanceof Date) return 'a date';
  return 'a table';
}

const Text = z.string({ error: (issue) => `must be a string in quotes (got ${kind(issue.input)})` });
const Flag = z.boolean({ error: (issue) => `must be true or false, without quotes (got ${kind(issue.input)})` });
const table = <T extends z.ZodRawShape>(shape: T) =>
  z.object(shape, { error: (issue) => `must be a table (got ${kind(issue.input)})` }).partial();

/**
 * The fields of a temporal.toml profile Pantheon reads, with their TOML types. The SDK's loader
 * checks none: `tls.disabled = "true"` (a string) would leave TLS on, `namespace = 5` reach the
 * server as a number. Unknown keys are refused apart (temporal-connection.ts), with the list of known ones.
 */
export const TomlProfile = table({
  address: Text,
  namespace: Text,
  api_key: Text,
  tls: table({
    disabled: Flag,
    client_cert_path: Text,
    client_key_path: Text,
    client_cert_data: Text,
    client_key_data: Text,
    server_ca_cert_path: Text,
    server_ca_cert_data: Text,
    server_name: Text,
  }),
  grpc_meta: z.record(z.string(), Text, { error: (issue) => `must be a table (got ${kind(issue.input)})` }).superRefine((meta, ctx) => {
    for (const [name, value] of Object.entries(meta)) {
      const problem = grpcMetaProblem(normalizeGrpcMetaKey(name), value);
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
    }
  }),
});

/** The first field of a profile whose value is of the wrong type, as `tls.disabled`, and why. */
export function badProfileField(profile: unknown): { field: string; problem: string } | undefined {
  const parsed = TomlProfile.safeParse(profile);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  return { field: issue.path.map(String).join('.'), problem: issue.message };
}
