import type { Connection } from '@temporalio/client';
import {
  encodeSearchAttributeIndexedValueType,
  type SearchAttributeKey,
  type SearchAttributeType,
} from '@temporalio/common/lib/search-attributes';
import { PantheonError } from '../errors';
import { ALL_SEARCH_ATTRIBUTES, SEARCH_ATTRIBUTE_CLI_TYPES } from '../workflows/search-attributes';

export type AnySearchAttributeKey = SearchAttributeKey<SearchAttributeType>;

/** gRPC status ALREADY_EXISTS: another process registered the same attributes first. */
const ALREADY_EXISTS = 6;
/** PERMISSION_DENIED / UNIMPLEMENTED: e.g. Temporal Cloud, where the operator API does not add attributes. */
const NOT_ALLOWED = [7, 12];

/** The server refused the operator call itself (not a conflict, not an outage). */
export function isNotAllowed(err: unknown): boolean {
  const code = (err as { code?: number } | null)?.code;
  return code !== undefined && NOT_ALLOWED.includes(code);
}

/**
 * Registers whichever of Pantheon's custom search attributes the namespace lacks, and returns
 * their names (empty when all were there). Idempotent, so it runs on every start: a server Pantheon
 * did not launch has none of them, and a dev server restarted on an existing database file ignores
 * new `--search-attribute` flags. An attribute that exists with another type is a conflict no
 * retry fixes, so it fails with config_invalid.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: readonly AnySearchAttributeKey[] = ALL_SEARCH_ATTRIBUTES,
): Promise<string[]> {
  const missing = await missingAttributes(connection, namespace, keys);
  const names = Object.keys(missing);
  if (names.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    if (isNotAllowed(err)) throw cannotAdd(namespace, missing, err);
    const full = fullType(err);
    if (full) throw await noRoom(connection, namespace, full, err);
    if ((err as { code?: number }).code !== ALREADY_EXISTS) throw err;
    // Lost a race with a concurrent starter: fine if what it added matches what we need.
    const still = Object.keys(await missingAttributes(connection, namespace, keys));
    if (still.length > 0) throw err;
    return [];
  }
  return names;
}

async function missingAttributes(
  connection: Connection,
  namespace: string,
  keys: readonly AnySearchAttributeKey[],
): Promise<Record<string, number>> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing: Record<string, number> = {};
  for (const key of keys) {
    const wanted = encodeSearchAttributeIndexedValueType(key.type)!;
    const existing = customAttributes?.[key.name];
    if (existing === undefined || existing === null) {
      missing[key.name] = wanted;
    } else if (existing !== wanted) {
      throw PantheonError.of(
        'config_invalid',
        `search attribute ${key.name} exists in namespace ${namespace} with another type (indexed type ${existing}); ` +
          `Pantheon needs ${SEARCH_ATTRIBUTE_CLI_TYPES[key.type]}`,
        { details: { name: key.name, namespace } },
      );
    }
  }
  return missing;
}

/** The server refuses to add attributes here: say which are missing and how an operator adds them. */
function cannotAdd(namespace: string, missing: Record<string, number>, cause: unknown): PantheonError {
  const types = Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((k) => [k.name, SEARCH_ATTRIBUTE_CLI_TYPES[k.type]]));
  const list = Object.keys(missing).map((name) => `${name}=${types[name] ?? '?'}`);
  return PantheonError.of(
    'config_invalid',
    `namespace ${namespace} lacks Pantheon's search attributes ${list.join(', ')} and this server does not let Pantheon add them ` +
      `(${(cause as Error).message}). Add them as an operator: on Temporal Cloud with \`tcld namespace search-attributes add --namespace ${namespace} --search-attribute NAME=TYPE\` ` +
      `(or the Cloud UI), on a cluster with \`temporal operator search-attribute create --namespace ${namespace} --name NAME --type TYPE\``,
    { cause, details: { namespace, missing: Object.keys(missing) } },
  );
}

/** The server's refusal when a namespace has no slot left for a type (SQL visibility stores, the
 * dev server's included: 3 Int, 3 Double, 10 Keyword …), as `{ type: 'Int', max: 3 }`. */
function fullType(err: unknown): { type: string; max: number } | undefined {
  const match = /cannot have more than (\d+) search attributes? of type (\w+)/i.exec((err as Error | null)?.message ?? '');
  return match ? { type: match[2], max: Number(match[1]) } : undefined;
}

/** Says which attributes hold the slots Pantheon needs, and the ways out. */
async function noRoom(connection: Connection, namespace: string, full: { type: string; max: number }, cause: unknown): Promise<PantheonError> {
  const ours = new Set(ALL_SEARCH_ATTRIBUTES.map((k) => k.name));
  const needed = ALL_SEARCH_ATTRIBUTES.filter((k) => SEARCH_ATTRIBUTE_CLI_TYPES[k.type] === full.type).map((k) => k.name);
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace }).catch(() => ({ customAttributes: {} }));
  const wanted = encodeSearchAttributeIndexedValueType(ALL_SEARCH_ATTRIBUTES.find((k) => SEARCH_ATTRIBUTE_CLI_TYPES[k.type] === full.type)?.type ?? 'KEYWORD');
  const others = Object.entries(customAttributes ?? {})
    .filter(([name, type]) => !ours.has(name) && type === wanted)
    .map(([name]) => name)
    .sort();
  return PantheonError.of(
    'config_invalid',
    `namespace ${namespace} has no room for Pantheon's search attributes of type ${full.type}: this server allows ${full.max} per namespace, ` +
      `Pantheon needs ${needed.length} (${needed.join(', ')})${others.length ? ` and ${others.join(', ')} already take${others.length === 1 ? 's' : ''} ${others.length === 1 ? 'one' : others.length}` : ''}. ` +
      `Run Pantheon in a namespace of its own (TEMPORAL_NAMESPACE), or remove an attribute you no longer use ` +
      `(temporal operator search-attribute remove --namespace ${namespace} --name NAME)`,
    { cause, details: { namespace, type: full.type, max: full.max, needed, taken: others } },
  );
}
