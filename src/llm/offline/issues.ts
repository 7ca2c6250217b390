import type { z } from 'zod';

/**
 * Turns zod issues into one line that names the offending field, because whoever sent a bad fault
 * rule or admin body (often a shell script) needs to know which key to fix, not a stack of JSON.
 */
export function describeIssues(error: z.ZodError, root = ''): string {
  return error.issues
    .map((issue) => {
      const extraKeys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
      return extraKeys
        .map((key) => {
          const path = key === undefined ? issue.path : [...issue.path, key];
          const field = formatPath(path, root) || '(body)';
          return `${field}: ${issue.message}`;
        })
        .join('; ');
    })
    .join('; ');
}

export function formatPath(path: ReadonlyArray<PropertyKey>, root = ''): string {
  let out = root;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}
