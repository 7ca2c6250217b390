import path from 'node:path';
import { RULE_CONFIDENCE_THRESHOLD, contenders, decideByRules, ruleConfidence, scoreSpecialists, type RoutableSpecialist } from '../../src/routing/rules';
import { loadRoster } from '../../src/specialists/roster';

const roster = loadRoster(path.join(__dirname, '..', '..', 'agents'));
const specialists = roster.specialists;

function decide(text: string) {
  return decideByRules(text, specialists);
}

describe('decideByRules on the real roster', () => {
  it('routes a clear database task to DatabaseAgent', () => {
    const decision = decide('Add a created_at column with an index to the orders table in Postgres, without locking writes');
    // "writes" is the Generalist's keyword "write" in another form: a runner-up far behind.
    expect(decision.ranking).toEqual([
      { specialist: 'DatabaseAgent', score: 4, matched: ['table', 'index', 'postgres', 'column'] },
      { specialist: 'Generalist', score: 1, matched: ['write'] },
    ]);
    expect(decision.choice).toEqual({
      specialist: 'DatabaseAgent',
      confidence: 0.95,
      reason: 'rules: matched "table", "index", "postgres", "column"; runner-up Generalist matched 1',
    });
  });

  it('routes a migration task to DatabaseAgent even when a Generalist keyword also matches', () => {
    const decision = decide('Write a migration that adds a foreign key from orders.user_id to users.id and backfill it in batches');
    expect(decision.ranking.map((r) => [r.specialist, r.score])).toEqual([
      ['DatabaseAgent', 3],
      ['Generalist', 1],
    ]);
    expect(decision.choice?.specialist).toBe('DatabaseAgent');
    // 0.35 + 0.15 × (3 − 1) + 0.05 × 3 = 0.80
    expect(decision.choice?.confidence).toBeCloseTo(0.8, 10);
    expect(decision.choice?.reason).toBe('rules: matched "migration", "foreign key", "backfill"; runner-up Generalist matched 1');
  });

  it('routes a clear code review task to CodeReviewAgent', () => {
    const decision = decide('Review the pull request that adds a retry helper to the payments module for race condition and security bugs');
    expect(decision.ranking).toEqual([
      { specialist: 'CodeReviewAgent', score: 6, matched: ['review', 'pull request', 'bug', 'security', 'race condition', 'module'] },
    ]);
    expect(decision.choice?.specialist).toBe('CodeReviewAgent');
    expect(decision.choice?.confidence).toBe(0.95);
  });

  it('routes a clear research task to ResearchAgent', () => {
    const decision = decide('Research and compare three vendors of managed Kafka, summarize the evidence with sources');
    expect(decision.ranking).toEqual([
      { specialist: 'ResearchAgent', score: 6, matched: ['research', 'compare', 'sources', 'evidence', 'summarize', 'vendor'] },
    ]);
    expect(decision.choice?.specialist).toBe('ResearchAgent');
    expect(decision.choice?.confidence).toBe(0.95);
  });

  it('gives every clear choice a confidence of at least the threshold', () => {
    for (const text of [
      'Add a created_at column with an index to the orders table in Postgres',
      'Review the diff of the auth module for security bugs',
      'Compare the vendor options and summarize the evidence',
      'Write a runbook checklist for the deploy',
    ]) {
      const choice = decide(text).choice;
      expect({ text, chosen: choice !== undefined && choice.confidence >= RULE_CONFIDENCE_THRESHOLD }).toEqual({ text, chosen: true });
    }
    expect(RULE_CONFIDENCE_THRESHOLD).toBe(0.6);
  });

  it('gives no choice for a task without any keyword, so the classifier decides', () => {
    for (const text of [
      'Which open questions remain about the cited durability claims of Kafka and Pulsar? Keep the writeup concise.',
      'Make the checkout faster',
      '',
    ]) {
      expect(decide(text)).toEqual({ ranking: [] });
    }
  });

  it('gives no choice when a single keyword matches: one word is not enough to be sure', () => {
    const decision = decide('Prepare the pull request template');
    expect(decision.ranking).toEqual([{ specialist: 'CodeReviewAgent', score: 1, matched: ['pull request'] }]);
    expect(decision.choice).toBeUndefined();
  });

  it('gives no choice when two specialists tie on one keyword each', () => {
    const decision = decide('Look at the table and review it');
    expect(decision.ranking).toEqual([
      { specialist: 'CodeReviewAgent', score: 1, matched: ['review'] },
      { specialist: 'DatabaseAgent', score: 1, matched: ['table'] },
    ]);
    expect(decision.choice).toBeUndefined();
  });

  it('gives no choice when two specialists tie, however many keywords each matches', () => {
    const decision = decide('Review the code diff for security bugs in the database migration that adds an index and a column to the table');
    expect(decision.ranking.map((r) => [r.specialist, r.score])).toEqual([
      ['CodeReviewAgent', 5],
      ['DatabaseAgent', 5],
    ]);
    expect(decision.choice).toBeUndefined();
  });

  it('routes by a lead of one when the winner matches enough', () => {
    const decision = decide('Write the SQL query for the report');
    expect(decision.ranking.map((r) => [r.specialist, r.score])).toEqual([
      ['DatabaseAgent', 2],
      ['Generalist', 1],
      ['ResearchAgent', 1],
    ]);
    expect(decision.choice?.specialist).toBe('DatabaseAgent');
    expect(decision.choice?.confidence).toBeCloseTo(0.6, 10);
    expect(decision.choice?.reason).toBe('rules: matched "sql", "query"; runner-up Generalist matched 1');
  });

  it('reads the task case-insensitively', () => {
    expect(decide('REVIEW THE PULL REQUEST FOR SECURITY BUGS').choice?.specialist).toBe('CodeReviewAgent');
  });
});

describe('keyword matching', () => {
  it('matches a multi-word keyword only as a whole phrase', () => {
    expect(scoreSpecialists('Open a pull request for the fix', specialists)).toEqual([
      { specialist: 'CodeReviewAgent', score: 1, matched: ['pull request'] },
    ]);
    expect(scoreSpecialists('Pull the request logs', specialists)).toEqual([]);
    expect(scoreSpecialists('pull the latest request', specialists)).toEqual([]);
    expect(scoreSpecialists('Add a foreign key', specialists)).toEqual([{ specialist: 'DatabaseAgent', score: 1, matched: ['foreign key'] }]);
    expect(scoreSpecialists('a foreign visitor with a key', specialists)).toEqual([]);
  });

  it('matches whole words only', () => {
    expect(scoreSpecialists('Measure one tablespoon of sugar', specialists)).toEqual([]);
    expect(scoreSpecialists('the indexer and the reviewer were codependent', specialists)).toEqual([]);
    expect(scoreSpecialists('postgresql', specialists)).toEqual([{ specialist: 'DatabaseAgent', score: 1, matched: ['postgresql'] }]);
  });

  it('matches a keyword in its other forms, and counts its forms once', () => {
    expect(scoreSpecialists('one table, many tables', specialists)).toEqual([{ specialist: 'DatabaseAgent', score: 1, matched: ['table'] }]);
    expect(scoreSpecialists('reviewing the queries', specialists)).toEqual([
      { specialist: 'CodeReviewAgent', score: 1, matched: ['review'] },
      { specialist: 'DatabaseAgent', score: 1, matched: ['query'] },
    ]);
    // Two keywords of one stem ("index" and "indexes" in an operator's list) are one match.
    expect(scoreSpecialists('the indexes', [{ name: 'Db', keywords: ['index', 'indexes'] }])).toEqual([{ specialist: 'Db', score: 1, matched: ['index'] }]);
  });

  it('matches keywords next to punctuation', () => {
    expect(scoreSpecialists('(sql), "schema"; index.', specialists)).toEqual([
      { specialist: 'DatabaseAgent', score: 3, matched: ['sql', 'schema', 'index'] },
    ]);
  });

  it('counts a keyword once however often it appears', () => {
    expect(scoreSpecialists('review review review', specialists)).toEqual([{ specialist: 'CodeReviewAgent', score: 1, matched: ['review'] }]);
  });

  it('reads punctuation in a keyword as a break between words, never as a pattern', () => {
    const custom: RoutableSpecialist[] = [
      { name: 'Dotted', keywords: ['node.js'] },
      { name: 'Starred', keywords: ['a*b'] },
    ];
    expect(scoreSpecialists('we use node.js here', custom)).toEqual([{ specialist: 'Dotted', score: 1, matched: ['node.js'] }]);
    expect(scoreSpecialists('we use nodexjs here', custom)).toEqual([]);
    expect(scoreSpecialists('aaab', custom)).toEqual([]);
  });

  it('lowers keywords too, so a capitalised keyword still matches', () => {
    expect(scoreSpecialists('a postgres database', [{ name: 'Db', keywords: ['Postgres'] }])).toEqual([
      { specialist: 'Db', score: 1, matched: ['Postgres'] },
    ]);
  });
});

describe('ranking', () => {
  const custom: RoutableSpecialist[] = [
    { name: 'Zeta', keywords: ['alpha', 'beta'] },
    { name: 'Alpha', keywords: ['alpha', 'beta'] },
    { name: 'Mid', keywords: ['alpha', 'beta', 'gamma'] },
    { name: 'None', keywords: ['omega'] },
  ];

  it('orders by score, best first, and leaves out specialists that match nothing', () => {
    expect(scoreSpecialists('alpha beta gamma', custom).map((r) => [r.specialist, r.score])).toEqual([
      ['Mid', 3],
      ['Alpha', 2],
      ['Zeta', 2],
    ]);
  });

  it('breaks ties by name, alphabetically, whatever the roster order', () => {
    expect(scoreSpecialists('alpha', custom).map((r) => r.specialist)).toEqual(['Alpha', 'Mid', 'Zeta']);
    expect(scoreSpecialists('alpha', [...custom].reverse()).map((r) => r.specialist)).toEqual(['Alpha', 'Mid', 'Zeta']);
  });

  it('keeps the matched keywords in the specialist\'s own keyword order', () => {
    expect(scoreSpecialists('gamma then alpha', custom)[0]).toEqual({ specialist: 'Mid', score: 2, matched: ['alpha', 'gamma'] });
  });

  it('ranks the real roster the same way', () => {
    expect(decide('review the table').ranking.map((r) => r.specialist)).toEqual(['CodeReviewAgent', 'DatabaseAgent']);
  });
});

describe('ruleConfidence', () => {
  it('is zero when nothing matched', () => {
    expect(ruleConfidence(0, 0)).toBe(0);
  });

  it('grows with the lead and a little with the score', () => {
    expect(ruleConfidence(1, 0)).toBeCloseTo(0.55, 10);
    expect(ruleConfidence(2, 0)).toBeCloseTo(0.75, 10);
    expect(ruleConfidence(2, 1)).toBeCloseTo(0.6, 10);
    expect(ruleConfidence(3, 1)).toBeCloseTo(0.8, 10);
    expect(ruleConfidence(1, 1)).toBeCloseTo(0.4, 10);
  });

  it('is capped at 0.95', () => {
    expect(ruleConfidence(4, 0)).toBe(0.95);
    expect(ruleConfidence(20, 0)).toBe(0.95);
  });

  it('stays below the threshold for a single matched keyword', () => {
    expect(ruleConfidence(1, 0)).toBeLessThan(RULE_CONFIDENCE_THRESHOLD);
  });
});

describe('contenders', () => {
  it('keeps the top scorer and whoever matched at least half as many keywords', () => {
    const ranking = [
      { specialist: 'A', score: 4, matched: [] },
      { specialist: 'B', score: 2, matched: [] },
      { specialist: 'C', score: 1, matched: [] },
    ];
    expect(contenders(ranking).map((r) => r.specialist)).toEqual(['A', 'B']);
    expect(contenders([])).toEqual([]);
  });

  it('leaves out a word shared in passing: "writes" in a database task does not make the Generalist a candidate', () => {
    const ranking = decide('Add a created_at column with an index to the orders table in Postgres, without locking writes').ranking;
    expect(ranking.map((r) => r.specialist)).toEqual(['DatabaseAgent', 'Generalist']);
    expect(contenders(ranking).map((r) => r.specialist)).toEqual(['DatabaseAgent']);
  });
});
