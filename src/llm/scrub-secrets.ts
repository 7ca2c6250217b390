/**
 * Takes secrets out of text that came back from a provider or a gateway before it is kept anywhere:
 * an error message becomes a task's failure (history, Web UI), a lesson and a memory record (and
 * so later prompts, to any provider), an alert and a log line. Some gateways echo the request's
 * Authorization header in a 401 ("Incorrect API key provided: Bearer sk-…"); the vendors mask it,
 * a proxy need not. Known keys are taken out wherever they appear; bearer tokens and `sk-` keys by
 * their shape, whoever's they are.
 *
 * @example
 *   scrubSecrets('401 Incorrect API key provided: Bearer sk-abc123def456', [key]) // '401 Incorrect API key provided: Bearer [redacted]'
 */

/** Shorter "secrets" are not keys (and would blank out ordinary words). */
const MIN_SECRET_CHARS = 8;
export const REDACTED = '[redacted]';

const SHAPES: Array<[RegExp, string]> = [
  // A credential has a digit somewhere; "Basic authentication required" is prose, left as it is.
  [/\b(Bearer|Basic)\s+(?=[A-Za-z._~+/=-]*[0-9])[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  [/\bsk-[A-Za-z0-9_-]{8,}/g, `sk-${REDACTED}`],
];

export function scrubSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= MIN_SECRET_CHARS) out = out.split(secret).join(REDACTED);
  for (const [shape, replacement] of SHAPES) out = out.replace(shape, replacement);
  return out;
}
