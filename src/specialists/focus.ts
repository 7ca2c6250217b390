import { countTokens } from '../llm/tokens';
import { MAX_PROMPT_TOKENS, type Roster, type Specialist } from './roster';

/**
 * The seed's rule of thumb for a focused specialist: a system prompt over 1,000 tokens, or one
 * that says the specialist "also" does something, is usually two specialists in one. These are
 * warnings, not refusals: the specialist still loads and runs; the worker logs them at start and
 * `pantheon roster` shows them, so whoever owns the file can decide.
 *
 * (A spawned specialist's proposal is refused over MAX_PROMPT_TOKENS, src/specialists/roster.ts;
 * a roster file over it loads, with this warning.)
 *
 * @example
 *   for (const w of rosterWarnings(roster)) logger.warn({ specialist: w.specialist }, w.message);
 */

/** The same 1,000 tokens a spawned specialist's proposal may not exceed. */
export const FOCUS_PROMPT_TOKENS = MAX_PROMPT_TOKENS;

export interface FocusWarning {
  specialist: string;
  field: 'system_prompt';
  rule: 'prompt_tokens' | 'also';
  message: string;
}

const ALSO = /\balso\b/i;

/** The line of the prompt where "also" first appears, trimmed to show the word in context. */
function alsoLine(prompt: string): string {
  const line = prompt.split('\n').find((l) => ALSO.test(l))?.trim() ?? '';
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

export function focusWarnings(specialist: Pick<Specialist, 'name' | 'system_prompt'>): FocusWarning[] {
  const warnings: FocusWarning[] = [];
  const tokens = countTokens(specialist.system_prompt);
  if (tokens > FOCUS_PROMPT_TOKENS) {
    warnings.push({
      specialist: specialist.name,
      field: 'system_prompt',
      rule: 'prompt_tokens',
      message: `${specialist.name}: system_prompt is ${tokens} tokens (over ${FOCUS_PROMPT_TOKENS}): a prompt this long usually holds two specialists`,
    });
  }
  if (ALSO.test(specialist.system_prompt)) {
    warnings.push({
      specialist: specialist.name,
      field: 'system_prompt',
      rule: 'also',
      message: `${specialist.name}: system_prompt uses "also" ("${alsoLine(specialist.system_prompt)}"): a specialist that also does something else is usually two specialists`,
    });
  }
  return warnings;
}

export function rosterWarnings(roster: Pick<Roster, 'specialists'>): FocusWarning[] {
  return roster.specialists.flatMap(focusWarnings);
}
