import type { Task } from './task-input';

/**
 * Spotting tasks that cannot be undone if they go wrong: destroying data (drop, delete, truncate,
 * purge, wipe), deleting files recursively, rewriting shared git history, and writing to
 * production. God sends such tasks to human review. Pure and deliberately conservative: a false
 * alarm costs a person a click, a miss can cost a database.
 *
 * A negated instruction ("do not drop the users table", "without deleting anything") is a
 * safeguard, not an action, so it does not count. Past tense ("the table was dropped") describes,
 * it does not ask, so only base, -s and -ing forms are read.
 *
 * @example
 *   irreversibleReasons({ objective: 'Drop the legacy_orders table', context: '' })
 *   // ['destroys data: "Drop the legacy_orders table"']
 */

interface Rule {
  /** Every pattern has the g and d flags; the action is the match itself, or its `act` group. */
  pattern: RegExp;
  why: string;
}

// Objects whose loss is data loss; "drop support for IE11" or "truncate long labels" is not.
const DATA_OBJECT = String.raw`(?:tables?|databases?|db|dbs|schemas?|columns?|indexes|index|collections?|buckets?|partitions?|keyspaces?|views?|data|dataset|records?|rows?|volumes?|snapshots?|backups?|clusters?|topics?|queues?)`;
/** Up to three words between a verb and its object: "drop the old users table". */
const GAP = String.raw`(?:\s+[\w.'"\x60-]+){0,3}?\s+`;
const DELETE_VERB = String.raw`(?:delet(?:e|es|ing)|purg(?:e|es|ing)|wip(?:e|es|ing)|eras(?:e|es|ing)|destroy(?:s|ing)?|nuk(?:e|es|ing)|obliterat(?:e|es|ing))`;
// Things named after the action that are not the action: a "delete button" is UI, a "soft delete" is reversible.
const NOT_AN_ACTION = String.raw`(?!\s+(?:buttons?|icons?|links?|menus?|dialogs?|modals?|endpoints?|handlers?|routes?|permissions?|keys?|confirmations?|flags?|options?|flows?|features?|functionality|logic|semantics|polic(?:y|ies)|requests?|operations?|statements?|markers?|apis?|cascade)\b)`;
const WRITE_VERB = String.raw`(?:delet(?:e|es|ing)|drop(?:s|ping)?|truncat(?:e|es|ing)|purg(?:e|es|ing)|insert(?:s|ing)?|updat(?:e|es|ing)|upsert(?:s|ing)?|writ(?:e|es|ing)\s+(?:to|into)|alter(?:s|ing)?|migrat(?:e|es|ing)|modify(?:ing)?|modifies|chang(?:e|es|ing)|backfill(?:s|ing)?|patch(?:es|ing)?|overwrit(?:e|es|ing)|renam(?:e|es|ing)|apply(?:ing)?|applies|add(?:s|ing)?|creat(?:e|es|ing)|remov(?:e|es|ing)|run(?:s|ning)?\s+(?:a\s+|the\s+)?migrations?|reindex(?:es|ing)?|restor(?:e|es|ing)|import(?:s|ing)?)`;
// Writing about production is not writing to it: "update the runbook for the production cluster".
const NOT_A_DOCUMENT = String.raw`(?!(?:\s+(?:the|a|an|our|its|this|that|their))?\s+(?:documentation|docs?|runbooks?|readme|wiki|guides?|notes|plans?|reports?|checklists?|dashboards?|diagrams?|summar(?:y|ies)|descriptions?|comments?|tickets?|sections?|pages?|playbooks?)\b)`;
const PRODUCTION = String.raw`(?:(?:in|on|to|into|against)\s+(?:the\s+)?(?:production|prod)\b|\b(?:production|prod|live)\s+(?:database|databases|db|dbs|data|tables?|cluster|server|servers|environment|system|systems|schema)\b)`;

const RULES: Rule[] = [
  { pattern: new RegExp(String.raw`\bdrop(?:s|ping)?${GAP}${DATA_OBJECT}\b`, 'gid'), why: 'destroys data' },
  { pattern: new RegExp(String.raw`\btruncat(?:e|es|ing)${GAP}${DATA_OBJECT}\b`, 'gid'), why: 'destroys data' },
  { pattern: new RegExp(String.raw`(?<!soft[- ])\b${DELETE_VERB}\b${NOT_AN_ACTION}`, 'gid'), why: 'destroys data' },
  { pattern: /\brm\s+(?:-[a-z]*r[a-z]*f[a-z]*|-[a-z]*f[a-z]*r[a-z]*|-r\s+-f|-f\s+-r|--recursive\s+--force|--force\s+--recursive)(?![\w-])/gid, why: 'deletes files recursively' },
  { pattern: /\bgit\s+push\b[^.;\n]*?(?:--force(?:-with-lease)?|\s-f\b)|\bforce[- ]push(?:es|ing)?\b/gid, why: 'rewrites shared git history' },
  { pattern: /\bgit\s+reset\s+--hard\b|\bgit\s+clean\s+-[a-z]*f/gid, why: 'discards work irrecoverably' },
  { pattern: new RegExp(String.raw`\b${WRITE_VERB}\b${NOT_A_DOCUMENT}[^.;\n]{0,60}?${PRODUCTION}`, 'gid'), why: 'writes to production' },
  { pattern: new RegExp(String.raw`${PRODUCTION}[^.;\n]{0,40}?\b(?<act>${WRITE_VERB})\b${NOT_A_DOCUMENT}`, 'gid'), why: 'writes to production' },
];

/** Words that turn what follows (in the same clause) into a prohibition. */
const NEGATION = /\b(?:not|cannot|never|no|without|avoid|avoiding|prevent|preventing|forbid|forbidden|prohibit|prohibited|nor|instead of|rather than|refrain from|stop|except)\b|n['’]t\b/i;
/** Where a clause ends: a negation before it no longer applies ("without downtime, then drop the table"). */
const CLAUSE_BREAK = /[.;:!?,\n]|\b(?:and|then|but|so|also|after that|afterwards|finally)\b/gi;
const NEGATION_WORDS = 6;
/** Words that make the action a subject to write or think about: "a runbook for restoring the prod database". */
const DESCRIBED = /\b(?:runbooks?|documentation|docs?|guides?|playbooks?|tutorials?|checklists?|proposals?|explain(?:s|ing)?|describ(?:e|es|ing)|document(?:s|ing)?|research(?:es|ing)?|investigat(?:e|es|ing)|whether|how to|risks? of|pros and cons)\b/i;

/** The clause leading up to `index`: the text since the last clause break. */
function clauseBefore(text: string, index: number): string {
  const before = text.slice(0, index);
  let start = 0;
  for (const m of before.matchAll(CLAUSE_BREAK)) start = (m.index ?? 0) + m[0].length;
  return before.slice(start).trim();
}

/** Whether the clause leading up to `index` negates the action found there. */
export function isNegated(text: string, index: number): boolean {
  return NEGATION.test(clauseBefore(text, index).split(/\s+/).slice(-NEGATION_WORDS).join(' '));
}

/** Whether the action at `index` is what a document or a study is about, rather than asked for. */
export function isDescribed(text: string, index: number): boolean {
  return DESCRIBED.test(clauseBefore(text, index));
}

const QUOTE_CHARS = 60;

/** The clause around a match, for a reason a reviewer can read at a glance. */
function excerpt(text: string, index: number, length: number): string {
  const from = Math.max(0, text.lastIndexOf('\n', index) + 1, index - 20);
  let end = Math.min(text.length, index + Math.max(length, 30));
  // Whole words: the cut moves on to the word's end (at most 15 characters); a cut says so with "…".
  const toSpace = text.slice(end).search(/\s/);
  end = toSpace < 0 ? (text.length - end <= 15 ? text.length : end) : toSpace <= 15 ? end + toSpace : end;
  const raw = text.slice(from, end).replace(/\s+/g, ' ').trim();
  if (raw.length > QUOTE_CHARS) return `${raw.slice(0, QUOTE_CHARS - 1)}…`;
  return end < text.trimEnd().length ? `${raw}…` : raw;
}

/** Why `text` cannot be undone if wrong, one reason per finding (deduplicated); empty when none. */
export function irreversibleIn(text: string): string[] {
  const reasons: string[] = [];
  const whys = new Set<string>();
  for (const { pattern, why } of RULES) {
    pattern.lastIndex = 0;
    for (const m of text.matchAll(pattern)) {
      // The action's own position decides negation: "in production, never update rows" is a prohibition.
      const index = m.indices?.groups?.act?.[0] ?? m.index ?? 0;
      if (isNegated(text, index) || isDescribed(text, index)) continue;
      if (whys.has(why)) break;
      whys.add(why);
      reasons.push(`${why}: "${excerpt(text, index, m[0].length)}"`);
      break;
    }
  }
  return reasons;
}

/**
 * The irreversible actions a task asks for, from its objective and context. Constraints are left
 * out: they restrict what may be done ("never drop data"), they do not ask for anything.
 */
export function irreversibleReasons(task: Pick<Task, 'objective' | 'context'>): string[] {
  return irreversibleIn([task.objective, task.context].filter((t) => t.trim()).join('\n'));
}
