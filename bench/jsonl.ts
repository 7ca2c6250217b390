import fs from 'node:fs';
import type { z } from 'zod';

/**
 * A labelled file of JSON lines, each checked with `schema`: a row that is not JSON or does not
 * fit stops the bench with the file, the line (as an editor counts it) and the field named.
 */
export function readJsonl<T>(file: string, schema: z.ZodType<T>): Array<{ row: T; line: number }> {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((text, i) => ({ text, line: i + 1 }))
    .filter(({ text }) => text.trim())
    .map(({ text, line }) => {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new Error(`${file}:${line}: not JSON: ${(err as Error).message}`);
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw new Error(`${file}:${line}: ${describeFirstIssue(parsed.error)}`);
      return { row: parsed.data, line };
    });
}

/** "field.path: message" for the first issue (the one a person fixes first). */
export function describeFirstIssue(error: z.ZodError, prefix = ''): string {
  const issue = error.issues[0];
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  return `${path || 'row'}: ${issue.message}`;
}
