import path from 'node:path';
import { assess, estimateRunUsd, NO_MATCH_CONFIDENCE, routeFacts } from '../../src/activities/assess-task';
import { acceptProposals } from '../../src/activities/generate-tasks';
import { checkProposal } from '../../src/activities/propose-specialist';
import { finishedFromResult, finishedWithoutResult } from '../../src/activities/reconcile-tasks';
import { repoRoot } from '../../src/config/paths';
import { GENERAL_KIND, kindOfSpecialist, normaliseKind, spawnKind, specialistNameForKind } from '../../src/routing/kinds';
import { firstMention, planFromRules } from '../../src/routing/plan';
import { scoreSpecialists } from '../../src/routing/rules';
import { loadRoster } from '../../src/specialists/roster';
import { countWorkItems, typicalRun } from '../../src/specialists/typical-run';
import { TaskInputSchema, type TaskInput } from '../../src/tasks/task-input';
import { firstStage } from '../../src/tasks/validation-stages';

const roster = loadRoster(path.join(repoRoot(), 'agents'));
const task = (input: TaskInput) => TaskInputSchema.parse(input);

describe('assessTask (pure part)', () => {
  it("rejects what validation's first stage is sure of, as validateTask does, and nothing it leaves to the second stage", () => {
    for (const input of [
      { objective: 'Fix the thing from yesterday' },
      { objective: 'Add a unique index on users.email in the Postgres database' },
      { objective: 'Migrate the orders table to the new schema', constraints: ['read-only access'] },
      // Vague words, but anchored: the first stage leaves it to the model (the old one-stage rules
      // refused it, so God rejected a task that, started directly, runs).
      { objective: 'Make it faster: the nightly job run_reports.py takes 40 minutes and should finish in 10' },
    ]) {
      const t = task(input);
      const first = firstStage(t);
      const { ok, reasons } = assess(t, roster);
      expect({ ok, reasons }).toEqual({ ok: first.decision !== 'reject', reasons: first.reasons });
    }
    expect(assess(task({ objective: 'Make it faster: the nightly job run_reports.py takes 40 minutes and should finish in 10' }), roster).ok).toBe(true);
    expect(assess(task({ objective: 'Fix the thing from yesterday' }), roster).ok).toBe(false);
    const unknown = assess(task({ objective: 'Research vendors for log storage', specialist: 'NoSuchAgent' }), roster);
    expect(unknown).toMatchObject({ ok: false, reasons: [expect.stringMatching(/^specialist: unknown "NoSuchAgent"/)] });
  });

  it('routes by the keyword rules, naming the kind of the specialist they pick', () => {
    const a = assess(task({ objective: 'Add a unique index on users.email in the Postgres database' }), roster);
    expect(a).toMatchObject({ ok: true, specialist: 'DatabaseAgent', method: 'rules', kind: 'database', ranked: ['DatabaseAgent'], irreversible: [] });
    expect(a.confidence).toBeGreaterThanOrEqual(0.6);
    expect(a.plan).toBeUndefined();
  });

  it('falls back with low confidence, method "none" and kind "general" when nothing matches', () => {
    const a = assess(task({ objective: 'Negotiate the office lease renewal terms with the landlord' }), roster);
    expect(a).toMatchObject({ specialist: 'Generalist', method: 'none', confidence: NO_MATCH_CONFIDENCE, kind: GENERAL_KIND, ranked: [] });
  });

  it('keeps unsure rules as a low-confidence guess (a tie), which God may chain, spawn or review', () => {
    const facts = routeFacts(task({ objective: 'Compare postgres with the setup we run today' }), roster);
    expect(facts.method).toBe('rules');
    expect(facts.confidence).toBeLessThan(0.6);
    expect(facts.ranked).toEqual(expect.arrayContaining(['DatabaseAgent', 'ResearchAgent']));
  });

  it('honours a requested specialist with confidence 1', () => {
    expect(routeFacts(task({ objective: 'Write the quarterly roadmap summary for the board', specialist: 'ResearchAgent' }), roster)).toMatchObject({ specialist: 'ResearchAgent', confidence: 1, method: 'requested', kind: 'research' });
  });

  it('proposes a chain in order of first mention when two specialists are each clearly asked for', () => {
    const a = assess(task({ objective: 'Research and compare three vendors of hosted Postgres with sources, then write the SQL migration for the orders table schema' }), roster);
    expect(a.plan).toEqual(['ResearchAgent', 'DatabaseAgent']);
    const reversed = assess(task({ objective: 'Write the SQL migration for the orders table schema, then research and compare three vendors of hosted Postgres with sources' }), roster);
    expect(reversed.plan).toEqual(['DatabaseAgent', 'ResearchAgent']);
  });

  it('reports irreversible actions', () => {
    const a = assess(task({ objective: 'Drop the legacy_orders table in the billing database' }), roster);
    expect(a.irreversible).toEqual([expect.stringMatching(/^destroys data/)]);
  });

  it('estimates a bigger task and a dearer model as dearer', () => {
    const small = task({ objective: 'Add a unique index on users.email in the Postgres database' });
    const big = task({ objective: 'Migrate these Postgres tables to the new schema', context: Array.from({ length: 12 }, (_, i) => `- table_${i}`).join('\n') });
    const db = roster.get('DatabaseAgent')!;
    expect(estimateRunUsd(big, db)).toBeGreaterThan(estimateRunUsd(small, db) * 5);
    expect(estimateRunUsd(small, roster.get('CodeReviewAgent')!)).toBeGreaterThan(estimateRunUsd(small, db));
    expect(assess(small, roster).estimatedCostUsd).toBe(estimateRunUsd(small, db));
  });

  it("prices a proposed chain step by step, each on its own specialist's model, later steps with the handover", () => {
    const t = task({ objective: 'Review the pull request code for the payment service, then write the SQL migration for the orders table schema' });
    const a = assess(t, roster);
    expect(a.plan).toEqual(['CodeReviewAgent', 'DatabaseAgent']);
    const [review, db] = a.planEstimatesUsd!;
    // The first step costs what one run on its specialist costs (its step header aside), by that specialist's model.
    expect(review).toBeGreaterThan(estimateRunUsd(t, roster.get('DatabaseAgent')!) * 3);
    expect(review).toBeGreaterThanOrEqual(estimateRunUsd(t, roster.get('CodeReviewAgent')!));
    // The second step reads the first step's result: dearer than the same run without it.
    expect(db).toBeGreaterThan(estimateRunUsd(t, roster.get('DatabaseAgent')!));
    expect(assess(task({ objective: 'Add a unique index on users.email in the Postgres database' }), roster).planEstimatesUsd).toBeUndefined();
  });

  it('refuses a task that plainly breaks a standing constraint, and leaves a task in scope but not breaking it alone', () => {
    const standing = [{ id: 'freeze', text: 'no writes to the billing database', scope: 'billing database', setBy: { kind: 'operator' as const, id: 'ops' }, addedAtMs: 0 }];
    const breaks = assess(task({ objective: 'Delete the duplicate rows from the billing database invoices table' }), roster, standing);
    expect(breaks.ok).toBe(false);
    expect(breaks.reasons.join(' ')).toMatch(/standing constraint freeze.*forbids/);
    expect(assess(task({ objective: 'Delete the duplicate rows from the billing database invoices table' }), roster).ok).toBe(true);
    const readOnly = assess(task({ objective: 'Summarise the five slowest queries of the billing database with their plans' }), roster, standing);
    expect(readOnly.reasons).toEqual([]);
  });

  it('answers a malformed task with the field named instead of throwing', () => {
    const a = assess({ objective: 'short' } as never, roster);
    expect(a.ok).toBe(false);
    expect(a.reasons.join(' ')).toMatch(/^objective: /);
  });
});

describe('routing kinds and plans', () => {
  it.each([
    ['DatabaseAgent', 'database'],
    ['CodeReviewAgent', 'code-review'],
    ['Generalist', GENERAL_KIND],
    ['LegalAgent', 'legal'],
  ])('kind of %p is %p', (name, kind) => {
    expect(kindOfSpecialist(name, 'Generalist')).toBe(kind);
  });

  it.each([
    ['legal', 'LegalAgent'],
    ['code-review', 'CodeReviewAgent'],
    ['Data Privacy!', 'DataPrivacyAgent'],
    ['3d-printing', 'Spawned3dPrintingAgent'],
    ['', 'SpawnedAgent'],
  ])('a specialist for kind %p is named %p', (kind, name) => {
    expect(specialistNameForKind(kind)).toBe(name);
    expect(name).toMatch(/^[A-Z][A-Za-z0-9]+$/);
  });

  it('normalises kinds to lowercase words joined by "-"', () => {
    expect(normaliseKind('  Data  Privacy / GDPR ')).toBe('data-privacy-gdpr');
  });

  it('reads a spawn kind off the examples when the given one is "general"', () => {
    expect(spawnKind('general', ['Check the supplier contract for GDPR terms', 'Summarise the hosting contract liability clause'])).toBe('contract');
    expect(spawnKind('legal', ['anything at all here'])).toBe('legal');
    expect(spawnKind('general', [])).toBe(GENERAL_KIND);
  });

  it('plans only specialists with enough hits, at most four, by first mention', () => {
    const text = 'review the code, then research vendors and compare sources, then the sql schema migration';
    const ranking = scoreSpecialists(text, roster.specialists);
    expect(planFromRules(text, ranking)).toEqual(['CodeReviewAgent', 'ResearchAgent', 'DatabaseAgent']);
    expect(planFromRules(text, ranking, 2, 2)).toHaveLength(2);
    expect(planFromRules('research the sql options', scoreSpecialists('research the sql options', roster.specialists))).toBeUndefined();
    // The place of the first word, as the rules match keywords: in stem form.
    expect(firstMention('alpha beta', ['beta', 'gamma'])).toBe(1);
    expect(firstMention('compare the vendors, then open pull requests', ['pull request', 'vendor'])).toBe(2);
    expect(firstMention('alpha beta', ['gamma'])).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('typical run', () => {
  it('takes one step per work item plus a final step, within the iteration limit', () => {
    expect(typicalRun({ model: 'gpt-4.1-mini', promptTokens: 300, maxOutputTokens: 700, workItems: 3, maxIterations: 40 }).steps).toBe(4);
    expect(typicalRun({ model: 'gpt-4.1-mini', promptTokens: 300, maxOutputTokens: 700, workItems: 0, maxIterations: 40 }).steps).toBe(2);
    expect(typicalRun({ model: 'gpt-4.1-mini', promptTokens: 300, maxOutputTokens: 700, workItems: 99, maxIterations: 5 }).steps).toBe(5);
    expect(countWorkItems('Do it\n- one\n* two\n3. three\nnot an item')).toBe(3);
  });

  it('prices by the pinned table: input grows with the history', () => {
    const run = typicalRun({ model: 'gpt-4.1-mini', promptTokens: 1000, maxOutputTokens: 100, workItems: 1, maxIterations: 40 });
    // Two steps: 1000 + (1000 + 50 + 12) input, 2 × 50 output.
    expect(run).toMatchObject({ steps: 2, inputTokens: 2062, outputTokens: 100 });
    expect(run.usd).toBeCloseTo((2062 * 0.4 + 100 * 1.6) / 1e6, 12);
  });
});

describe('generateTasks: judging proposals', () => {
  const goal = { id: 'g-billing', lane: 'experimental' as const };

  it('takes only objective, context, priority and constraints; lane and goal come from the goal', () => {
    const { tasks, rejected, ignoredFields } = acceptProposals(
      [{ objective: 'Add a unique index on users.email in the Postgres database', priority: 'high', lane: 'main', specialist: 'DatabaseAgent', maxIterations: 200, goalId: 'other' }],
      goal,
      2,
    );
    expect(rejected).toEqual([]);
    expect(tasks).toEqual([{ objective: 'Add a unique index on users.email in the Postgres database', priority: 'high', lane: 'experimental', goalId: 'g-billing' }]);
    expect(ignoredFields.sort()).toEqual(['goalId', 'lane', 'maxIterations', 'specialist']);
  });

  it('refuses invalid proposals with the field named, keeping the valid ones', () => {
    const { tasks, rejected } = acceptProposals(
      [
        'not an object',
        { objective: 'short' },
        { objective: 'Review the payments module code for security bugs', priority: 'urgent' },
        { objective: 'Fix the thing from yesterday' },
        { objective: 'Research and compare three log storage vendors with sources' },
      ],
      goal,
      3,
    );
    expect(tasks.map((t) => t.objective)).toEqual(['Research and compare three log storage vendors with sources']);
    expect(rejected.slice(0, 4)).toEqual([
      'tasks.0: must be an object',
      expect.stringMatching(/^tasks\.1\.objective: /),
      expect.stringMatching(/^tasks\.2\.priority: /),
      // Pre-flight validation's reasons, one per problem.
      expect.stringMatching(/^tasks\.3\.objective /),
    ]);
    expect(rejected.slice(4).every((r) => r.startsWith('tasks.3.'))).toBe(true);
  });

  it('keeps a proposal the rules cannot decide, for God’s assessment, and refuses what they are sure of', () => {
    // A vague phrase with a script and a number: borderline, which validateTask would ask the second stage about.
    const borderline = 'Make it faster: the nightly job run_reports.py takes 40 minutes';
    const contradiction = { objective: 'Delete the expired rows from the sessions table', constraints: ['read-only'] };
    const { tasks, rejected } = acceptProposals([{ objective: borderline }, contradiction], goal, 2);
    expect(tasks.map((t) => t.objective)).toEqual([borderline]);
    expect(rejected).toEqual([expect.stringMatching(/^tasks\.1\.constraints\.0 \("read-only"\) is read-only but the objective writes/)]);
  });

  it('refuses repeats of recent objectives and of each other, and anything beyond the count', () => {
    const a = 'Research and compare three log storage vendors with sources';
    const b = 'Review the payments module code for security bugs';
    const c = 'Add a unique index on users.email in the Postgres database';
    const { tasks, rejected } = acceptProposals([{ objective: a }, { objective: b }, { objective: `  ${b.toUpperCase()} ` }, { objective: c }], goal, 1, [a]);
    expect(tasks.map((t) => t.objective)).toEqual([b]);
    expect(rejected).toEqual(['tasks.0.objective: repeats a recent or earlier objective', 'tasks.2.objective: repeats a recent or earlier objective', 'tasks.3: beyond the 1 task(s) asked for']);
  });
});

describe('proposeSpecialist: judging a definition like a roster file', () => {
  const good = {
    name: 'LegalAgent',
    description: 'Reviews contracts and data processing agreements for risky clauses.',
    provider: 'openai',
    model: 'gpt-4.1-mini',
    keywords: ['Contract', 'clause', 'contract'],
    system_prompt: 'You are LegalAgent. Work one step at a time and name the clause each finding is about.',
    expected_duration_minutes: 15,
    max_output_tokens: 700,
  };
  const taken = (name: string) => roster.get(name) !== undefined;

  it('accepts a valid definition, never as the fallback, keywords lowercased once each', () => {
    const { definition, reasons } = checkProposal({ ...good, fallback: true }, taken);
    expect(reasons).toEqual([]);
    expect(definition).toEqual({ ...good, keywords: ['contract', 'clause'] });
    expect(definition).not.toHaveProperty('fallback');
  });

  it.each([
    [{ name: 'legal agent' }, /^name: must be PascalCase/],
    [{ model: 'gpt-9-ultra' }, /^model: "gpt-9-ultra" has no pinned price/],
    [{ provider: 'anthropic' }, /^provider: is anthropic but gpt-4.1-mini is a openai model/],
    [{ system_prompt: 'word '.repeat(1200) }, /^system_prompt: is \d+ tokens; the limit is 1000/],
    [{ name: 'DatabaseAgent' }, /^name: "DatabaseAgent" is already a specialist/],
    [{ keywords: [] }, /^keywords: at least one is needed/],
    [{ description: 'short' }, /^description: /],
  ])('refuses %p', (change, reason) => {
    const { definition, reasons } = checkProposal({ ...good, ...change }, taken);
    expect(definition).toBeUndefined();
    expect(reasons).toEqual([expect.stringMatching(reason)]);
  });
});

describe('reconcileTasks: reading results defensively', () => {
  it('turns an agentTask outcome into its report', () => {
    const outcome = { taskId: 't1', status: 'completed', costUsd: 0.01, tokens: 1200, reasons: ['completed by DatabaseAgent'], specialistsTried: ['Generalist', 'DatabaseAgent'], result: 'CREATE INDEX ...' };
    expect(finishedFromResult('t1', outcome, 5000)).toEqual({ taskId: 't1', status: 'completed', costUsd: 0.01, tokens: 1200, durationMs: 5000, specialist: 'DatabaseAgent', reason: 'completed by DatabaseAgent', summary: 'CREATE INDEX ...' });
  });

  it('reads a chain result (specialist and summary fields) too', () => {
    expect(finishedFromResult('c1', { status: 'dead_lettered', reasons: ['step 2 failed'], costUsd: 0.2, tokens: 9, specialist: 'ResearchAgent', summary: 'found 3 vendors' }, 10)).toMatchObject({ status: 'dead_lettered', specialist: 'ResearchAgent', summary: 'found 3 vendors', reason: 'step 2 failed' });
  });

  it('tolerates missing and malformed fields', () => {
    expect(finishedFromResult('x', null, 1)).toEqual({ taskId: 'x', status: 'cancelled', costUsd: 0, tokens: 0, durationMs: 1, reason: 'the workflow completed with an unrecognised result (status null)' });
    expect(finishedFromResult('x', { status: 'weird', costUsd: -3, tokens: 'many', reasons: [42] }, 1)).toMatchObject({ status: 'cancelled', costUsd: 0, tokens: 0, reason: expect.stringContaining('"weird"') });
  });

  it('ends a workflow that closed without a result as cancelled, naming its close status', () => {
    expect(finishedWithoutResult('t', 'TIMED_OUT', 7)).toEqual({ taskId: 't', status: 'cancelled', costUsd: 0, tokens: 0, durationMs: 7, reason: 'the workflow timed out without reporting a result' });
  });
});
