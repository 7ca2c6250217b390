import { firstQuoted, GENERATOR_SECTIONS, sectionLines } from '../../god/protocol';
import type { ChatMessage } from '../types';
import { meteredTokens } from './meter';
import { hashString } from './prng';
import { parseRoster } from './router-answer';
import { keywords, topicWords } from './words';

/**
 * God's task generator, offline: concrete tasks derived from the goal, each phrased so the
 * keyword rules route it to one real specialist with confidence, and valid for pre-flight
 * validation. Deterministic per request; the SEED section (God's call id) varies the template and
 * angle, and objectives under RECENT OUTCOMES are never proposed again, so repeated generations
 * of one goal keep bringing new work.
 */

export interface ProposedTask {
  objective: string;
  context: string;
  priority: 'low' | 'normal' | 'high' | 'critical';
  constraints: string[];
}

interface Template {
  objective: (topic: string, angle: string) => string;
  items: [string, string];
  constraints?: string[];
}

/** Per specialist: the words that make a goal its business, and three ways to phrase a task for it. */
const TEMPLATES: Record<string, { affinity: string[]; templates: Template[] }> = {
  DatabaseAgent: {
    affinity: ['sql', 'database', 'databases', 'schema', 'table', 'tables', 'index', 'indexes', 'query', 'queries', 'migration', 'postgres', 'mysql', 'slow', 'latency', 'performance', 'data'],
    templates: [
      { objective: (t, a) => `Find the three slowest SQL queries behind the ${t} ${a} and propose one named index per query`, items: ['list each query with its typical duration', 'give the CREATE INDEX statement and its locking impact'] },
      { objective: (t, a) => `Design the schema change that the ${t} needs ${a}, as an additive migration with named columns and indexes`, items: ['describe the new columns and their types', 'write the migration SQL in reversible steps'] },
      { objective: (t, a) => `Check the ${t} tables ${a} for missing foreign key constraints and indexes, with the SQL to add each one`, items: ['list every table and the missing constraint', 'write the SQL statements in a safe order'] },
    ],
  },
  ResearchAgent: {
    affinity: ['research', 'compare', 'evaluate', 'options', 'vendor', 'vendors', 'market', 'alternatives', 'cost', 'pricing', 'tools', 'survey', 'evidence'],
    templates: [
      { objective: (t, a) => `Research and compare three options for the ${t} ${a}, with sources and a summary of cost, risk and effort`, items: ['gather evidence on each option', 'summarize the trade-offs and recommend one'], constraints: ['Cite a source for every claim'] },
      { objective: (t, a) => `Evaluate the vendors that offer ${t} tooling ${a} and report a comparison backed by evidence`, items: ['list the vendors with their pricing', 'compare them on cost, risk and effort'], constraints: ['Cite a source for every claim'] },
      { objective: (t, a) => `Investigate how other teams approach ${t} ${a} and summarize the alternatives with sources`, items: ['survey three published approaches', 'summarize what each costs and risks'] },
    ],
  },
  CodeReviewAgent: {
    affinity: ['code', 'review', 'bug', 'bugs', 'security', 'tests', 'test', 'module', 'service', 'api', 'refactor', 'quality', 'typescript', 'python', 'reliability'],
    templates: [
      { objective: (t, a) => `Review the code of the ${t} module ${a} for bugs, security flaws and missing test coverage`, items: ['check error handling and input validation', 'list each finding with a severity and a fix'] },
      { objective: (t, a) => `Review the error handling in the ${t} functions ${a} and report each bug with a concrete fix`, items: ['trace every failure path', 'propose a fix and a test for each bug'] },
      { objective: (t, a) => `Review the ${t} code ${a} for race conditions and security vulnerabilities, with fixes`, items: ['check shared state and concurrency', 'check authentication and input handling'] },
    ],
  },
  Generalist: {
    affinity: ['document', 'documentation', 'runbook', 'plan', 'process', 'onboarding', 'checklist', 'operations', 'team', 'docs'],
    templates: [
      { objective: (t, a) => `Write a runbook for the ${t} ${a}, as a checklist with owners and verification steps`, items: ['list the routine tasks and their owners', 'add a verification step for each task'] },
      { objective: (t, a) => `Draft a plan for the ${t} ${a} with concrete actions, owners and a checklist`, items: ['break the work into concrete actions', 'order the actions and name an owner for each'] },
      { objective: (t, a) => `Document the current ${t} process ${a} as a checklist for new engineers`, items: ['describe each step of the process', 'note the tools and access each step needs'] },
    ],
  },
};

/** Where a task looks from, so two tasks of one template differ in substance, not only in wording. */
const ANGLES = [
  'for the busiest hour of the day',
  'for the month-end close',
  'for the newest customers',
  'for the largest accounts',
  'before the next release',
  'for the mobile clients',
  'for the reporting pipeline',
  'for the European region',
];

// Goal words that say what to achieve rather than what it is about, and destructive verbs, which
// must never leak into a proposed objective.
const NOT_A_TOPIC = new Set([
  'keep', 'ensure', 'maintain', 'improve', 'reduce', 'increase', 'make', 'stay', 'continuously', 'always', 'regularly', 'every', 'well',
  'fast', 'faster', 'slow', 'slower', 'safe', 'safer', 'better', 'healthy', 'good', 'weekly', 'daily', 'monthly', 'goal', 'work', 'things', 'stuff',
  'understand', 'know', 'learn', 'track', 'control', 'under', 'keeping', 'making',
  'drop', 'dropping', 'delete', 'deleting', 'truncate', 'purge', 'wipe', 'remove', 'destroy', 'erase', 'production', 'prod',
]);

const MAX_COUNT = 5;

const TOPIC_WORDS = 3;

function isTopicWord(token: string): boolean {
  if (NOT_A_TOPIC.has(token) || /(?:ed|ly)$/.test(token)) return false;
  return token.includes('-') ? /[a-z]{3}/.test(token) : topicWords(token).length === 1;
}

/**
 * What the goal is about: the longest run of adjacent subject words ("the market for customer
 * support chat tools" → "support chat tools"), its last words kept, since English puts the head
 * noun last. "main service" when the goal names nothing.
 */
export function topicOf(goal: string): string {
  const tokens = goal.toLowerCase().match(/[a-z0-9]+(?:-[a-z0-9]+)*/g) ?? [];
  let best: string[] = [];
  let run: string[] = [];
  for (const token of [...tokens, '']) {
    if (token && isTopicWord(token)) {
      run.push(token);
      continue;
    }
    if (run.length > best.length) best = run;
    run = [];
  }
  return best.slice(-TOPIC_WORDS).join(' ') || 'main service';
}

function normalised(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

/** Known specialists in the order this goal suits them: most shared words first, ties in a fixed order. */
function specialistsFor(goal: string, system: string): string[] {
  const listed = new Set(parseRoster(system).map((e) => e.name));
  const names = Object.keys(TEMPLATES).filter((n) => listed.size === 0 || listed.has(n));
  const goalWords = new Set(keywords(goal));
  const score = (n: string) => TEMPLATES[n].affinity.filter((w) => goalWords.has(w)).length;
  const ranked = [...(names.length ? names : Object.keys(TEMPLATES))].sort((a, b) => score(b) - score(a));
  return ranked;
}

export function generatorAnswer(system: string, messages: readonly ChatMessage[], maxTokens = Number.POSITIVE_INFINITY): { tasks: ProposedTask[] } {
  const text = messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
  const headings = Object.values(GENERATOR_SECTIONS);
  const seed = sectionLines(text, GENERATOR_SECTIONS.seed, headings)[0] ?? '';
  const count = Math.max(1, Math.min(MAX_COUNT, Number.parseInt(sectionLines(text, GENERATOR_SECTIONS.count, headings)[0] ?? '2', 10) || 2));
  const goal = firstQuoted(sectionLines(text, GENERATOR_SECTIONS.goal, headings)[0] ?? '') ?? '';
  const recent = new Set(
    sectionLines(text, GENERATOR_SECTIONS.recent, headings)
      .map(firstQuoted)
      .filter((o): o is string => o !== undefined)
      .map(normalised),
  );

  const topic = topicOf(goal);
  const h = hashString(seed);
  const specialists = specialistsFor(goal, system);
  const tasks: ProposedTask[] = [];
  const chosen = new Set<string>();
  // Every (template, angle) pair once at most, the seed deciding where each specialist starts.
  outer: for (let round = 0; round < 3 * ANGLES.length; round++) {
    for (const [i, name] of specialists.entries()) {
      const { templates } = TEMPLATES[name];
      const template = templates[(h + round + i) % templates.length];
      const angle = ANGLES[(h + i * 3 + Math.floor(round / templates.length) + round) % ANGLES.length];
      const objective = template.objective(topic, angle).replace(/\s+/g, ' ');
      const key = normalised(objective);
      if (recent.has(key) || chosen.has(key)) continue;
      chosen.add(key);
      tasks.push({ objective, context: template.items.map((item) => `- ${item}`).join('\n'), priority: 'normal', constraints: template.constraints ?? [] });
      if (tasks.length >= count) break outer;
    }
  }
  // A model that knows its limit proposes fewer tasks rather than a cut-off answer.
  while (tasks.length > 1 && meteredTokens(JSON.stringify({ tasks })) > maxTokens) tasks.pop();
  return { tasks };
}
