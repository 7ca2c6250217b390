import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import { SqliteMemoryStore } from '../../src/memory/sqlite-store';
import type { MemoryRecord } from '../../src/memory/types';
import { kindAndEvidence, MEMORY_SIMILARITY_FLOOR, type Neighbour } from '../../src/routing/memory-kind';
import { decideByRules, type RoutableSpecialist } from '../../src/routing/rules';
import { similarOutcomes } from '../../src/routing/similar-outcomes';

/** A task's kind from its rules and its nearest past tasks, and the evidence they give each specialist. */

const ROSTER: RoutableSpecialist[] = [
  { name: 'DatabaseAgent', keywords: ['sql', 'postgres', 'index', 'schema', 'migration'] },
  { name: 'ResearchAgent', keywords: ['research', 'compare', 'vendors', 'sources'] },
  { name: 'Generalist', keywords: ['plan', 'runbook', 'draft'] },
];
const FALLBACK = 'Generalist';

function near(specialist: string, success: boolean, times: number, similarity = 0.6): Neighbour[] {
  return Array.from({ length: times }, () => ({ specialist, success, similarity }));
}

describe('kindAndEvidence', () => {
  it('names the kind from memory when no rule matches, and explains it in counts', () => {
    const d = kindAndEvidence({ ranking: [], fallbackName: FALLBACK, neighbours: [...near('DatabaseAgent', true, 6), ...near('Generalist', false, 1)] });
    expect(d).toMatchObject({ kind: 'database', source: 'memory', evidence: { DatabaseAgent: { successes: 6, failures: 0 }, Generalist: { successes: 0, failures: 1 } } });
    expect(d.explanation).toBe('memory: like 7 earlier tasks, 6 of them DatabaseAgent successes (1 Generalist failure); no rule matched');
  });

  it('keeps confident rules when memory only mildly disagrees', () => {
    const ranking = decideByRules('Add an index to the postgres orders table', ROSTER).ranking;
    const d = kindAndEvidence({ ranking, fallbackName: FALLBACK, neighbours: [...near('ResearchAgent', true, 3), ...near('DatabaseAgent', true, 1)] });
    expect(d).toMatchObject({ kind: 'database', source: 'rules' });
    expect(d.explanation).toMatch(/^rules: DatabaseAgent matched "postgres", "index"; memory: like 4 earlier tasks/);
  });

  it('lets memory overrule confident rules when it disagrees strongly: similar failures count against the rules\' pick', () => {
    const ranking = decideByRules('Compare postgres index options', ROSTER).ranking;
    expect(ranking[0].specialist).toBe('DatabaseAgent');
    const d = kindAndEvidence({ ranking, fallbackName: FALLBACK, neighbours: [...near('ResearchAgent', true, 3), ...near('DatabaseAgent', false, 2)] });
    expect(d).toMatchObject({ kind: 'research', source: 'memory', evidence: { DatabaseAgent: { successes: 0, failures: 2 } } });
    expect(d.explanation).toMatch(/overrules rules: DatabaseAgent/);
  });

  it('follows memory over unsure rules, the rules when memory is thin, and says general when neither speaks', () => {
    const unsure = decideByRules('Draft a note', ROSTER).ranking;
    expect(kindAndEvidence({ ranking: unsure, fallbackName: FALLBACK, neighbours: near('ResearchAgent', true, 1) }).kind).toBe('research');
    const cancelled = [...near('ResearchAgent', true, 1), ...near('ResearchAgent', false, 1)];
    expect(kindAndEvidence({ ranking: unsure, fallbackName: FALLBACK, neighbours: cancelled })).toMatchObject({ kind: 'general', source: 'rules' });
    expect(kindAndEvidence({ ranking: [], fallbackName: FALLBACK, neighbours: [] })).toMatchObject({ kind: 'general', source: 'none', explanation: 'memory: no similar earlier task; no rule matched' });
  });

  it('ignores neighbours at or below the similarity floor', () => {
    const d = kindAndEvidence({ ranking: [], fallbackName: FALLBACK, neighbours: near('DatabaseAgent', true, 5, MEMORY_SIMILARITY_FLOOR) });
    expect(d).toMatchObject({ kind: 'general', evidence: {} });
  });

  it('breaks ties the same way whatever the order of the neighbours: more successes, then name', () => {
    const a = [...near('ResearchAgent', true, 3), ...near('DatabaseAgent', true, 3)];
    const b = [...a].reverse();
    expect(kindAndEvidence({ ranking: [], fallbackName: FALLBACK, neighbours: a })).toEqual(kindAndEvidence({ ranking: [], fallbackName: FALLBACK, neighbours: b }));
    expect(kindAndEvidence({ ranking: [], fallbackName: FALLBACK, neighbours: a }).kind).toBe('database');
    const c = [...near('ResearchAgent', true, 4), ...near('ResearchAgent', false, 1), ...near('DatabaseAgent', true, 3)];
    expect(kindAndEvidence({ ranking: [], fallbackName: FALLBACK, neighbours: c }).kind).toBe('research');
  });
});

describe('similarOutcomes', () => {
  let store: SqliteMemoryStore;
  let n = 0;
  const put = (taskId: string, specialist: string, objective: string, success: boolean): Promise<unknown> =>
    store.put({ id: `${taskId}:outcome`, taskId, specialist, objective, approach: 'as recorded', result: success ? 'done' : 'failed', success, costUsd: 0.01, lessons: [], createdAt: new Date(Date.UTC(2026, 10, 1, 0, n++)).toISOString() } satisfies MemoryRecord);

  beforeAll(async () => {
    store = await SqliteMemoryStore.open({ file: ':memory:', embedder: new HashingEmbedder() });
    await put('t1', 'ResearchAgent', 'Compare three open-source vector databases for semantic search', true);
    await put('t2', 'ResearchAgent', 'Survey vector databases for semantic search at our scale', true);
    await put('t3', 'Generalist', 'Compare vector databases for semantic search latency', false);
    await put('t4', 'DatabaseAgent', 'Add a partial index on invoices for unpaid rows', true);
    await put('same', 'Generalist', 'Evaluate vector databases for semantic search', false);
  });

  afterAll(async () => {
    await store.close();
  });

  it('recalls the nearest past tasks by objective, above the floor, without this task\'s own attempts', async () => {
    const neighbours = await similarOutcomes(store, { objective: 'Evaluate vector databases for semantic search' }, { excludeTaskId: 'same' });
    expect(neighbours.map((x) => x.specialist).sort()).toEqual(['Generalist', 'ResearchAgent', 'ResearchAgent']);
    expect(neighbours.every((x) => x.similarity > MEMORY_SIMILARITY_FLOOR)).toBe(true);
    const d = kindAndEvidence({ ranking: [], fallbackName: FALLBACK, neighbours });
    expect(d).toMatchObject({ kind: 'research', evidence: { ResearchAgent: { successes: 2, failures: 0 }, Generalist: { successes: 0, failures: 1 } } });
  });

  it('finds nothing for a task unlike any past one', async () => {
    expect(await similarOutcomes(store, { objective: 'Book the team offsite venue in Lisbon' })).toEqual([]);
  });
});
