import {
  MAX_OBJECTIVE_CHARS,
  PRIORITIES,
  TaskInputSchema,
  describeIssues,
  type Task,
  type TaskInput,
} from '../../src/tasks/task-input';
import {
  MIN_CONTENT_WORDS,
  checkContradictions,
  checkDependencies,
  checkSpecificity,
  contentWords,
  validateTaskRules,
} from '../../src/tasks/validation';

function task(input: TaskInput): Task {
  return TaskInputSchema.parse(input);
}

function issues(input: unknown): string[] {
  const parsed = TaskInputSchema.safeParse(input);
  if (parsed.success) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return describeIssues(parsed.error);
}

describe('validateTaskRules: vague tasks', () => {
  it('rejects "improve the thing from yesterday" with reasons naming the phrases', () => {
    expect(validateTaskRules(task({ objective: 'improve the thing from yesterday' }))).toEqual({
      ok: false,
      reasons: [
        'objective refers to "the thing" without saying what it is',
        'objective refers to "from yesterday", which the task does not describe',
        'objective is too vague: it names 2 concrete term(s); at least 3 are needed',
      ],
    });
  });

  it('rejects a task that relies on an earlier discussion', () => {
    expect(validateTaskRules(task({ objective: 'Fix the bug as discussed in the meeting with the payments team' })).reasons).toEqual([
      'objective relies on "as discussed", which the task does not include',
    ]);
    expect(checkSpecificity({ objective: 'Deploy the billing service as usual tonight', context: '' })).toEqual([
      'objective relies on "as usual", which the task does not include',
    ]);
  });

  it('rejects a goal without a measure, quoting it as written', () => {
    expect(validateTaskRules(task({ objective: 'Make it faster for the checkout customers please' })).reasons).toEqual([
      'objective asks to "Make it faster" without a measurable goal',
    ]);
  });

  it('rejects an action without a target', () => {
    expect(validateTaskRules(task({ objective: 'Sort out everything in the billing service' })).reasons).toEqual([
      'objective asks to "Sort out everything" without naming the target',
    ]);
  });

  it('rejects a reference to a previous time', () => {
    expect(validateTaskRules(task({ objective: 'Do the same like last time for the reports dashboard' })).reasons).toEqual([
      'objective refers to "like last time", which the task does not describe',
    ]);
  });

  it('accepts "the problem" when the task says which problem', () => {
    expect(checkSpecificity({ objective: 'Fix the problem with duplicate invoice emails from the billing worker', context: '' })).toEqual([]);
    expect(checkSpecificity({ objective: 'Fix the issue where refunds are booked twice', context: '' })).toEqual([]);
  });

  it('rejects a task with too few concrete terms, counting the context too', () => {
    expect(checkSpecificity({ objective: 'Please make the thing better', context: '' })).toEqual([
      'objective refers to "the thing" without saying what it is',
      'objective is too vague: it names 1 concrete term(s); at least 3 are needed',
    ]);
    expect(checkSpecificity({ objective: 'Optimise queries', context: '' })).toEqual([
      'objective is too vague: it names 2 concrete term(s); at least 3 are needed',
    ]);
    expect(checkSpecificity({ objective: 'Optimise queries', context: 'The invoices report is slow.' })).toEqual([]);
    expect(MIN_CONTENT_WORDS).toBe(3);
  });
});

describe('validateTaskRules: concrete tasks', () => {
  const CONCRETE: TaskInput[] = [
    { objective: 'Add a created_at column with an index to the orders table in Postgres, without locking writes', priority: 'high' },
    {
      objective: 'Review the pull request that adds a retry helper to the payments module for race condition and security bugs',
      context: 'The helper wraps fetch calls to the card processor and retries on any error.',
    },
    { objective: 'Which open questions remain about the cited durability claims of Kafka and Pulsar? Keep the writeup concise.' },
    { objective: 'Write an on-call runbook checklist for restarting the billing workers after a failed deploy', priority: 'low' },
    { objective: 'Compare Redis, Memcached and Hazelcast as session stores on cost, p99 latency and operational effort' },
    {
      objective: 'Find the ten slowest queries against the orders database in pg_stat_statements and explain each plan',
      constraints: ['read-only access to production'],
    },
    { objective: 'Fix the problem with duplicate invoice emails sent when the billing worker retries a failed job' },
    {
      objective: 'Migrate the users table to the tenant-aware schema with an online backfill',
      constraints: ['no downtime for the checkout flow', 'do not drop the users table'],
    },
    {
      objective: 'Review the attached diff of the session middleware for security bugs',
      requires: ['diff'],
      inputs: { diff: '--- a/session.ts\n+++ b/session.ts\n@@ -1 +1 @@\n-const ttl = 0;\n+const ttl = 3600;' },
    },
    {
      objective: 'Upgrade the payments service from Node 18 to Node 20 and list the breaking changes in its dependencies',
      constraints: ['no new dependencies'],
    },
    { objective: 'Investigate why p99 latency of the checkout API doubled after the 14:00 deploy on 2026-10-30' },
    {
      objective: [
        'Migrate these Postgres tables to the new tenant-aware schema:',
        ...['users', 'orders', 'order_items', 'products', 'invoices'].map((t) => `- ${t}`),
      ].join('\n'),
      constraints: ['no downtime for the checkout flow'],
    },
  ];

  it.each(CONCRETE.map((t) => [t.objective.split('\n')[0], t] as const))('accepts: %s', (_name, input) => {
    expect(validateTaskRules(task(input))).toEqual({ ok: true, reasons: [] });
  });
});

describe('checkDependencies', () => {
  it('rejects a required input that is absent', () => {
    expect(checkDependencies({ requires: ['diff'], inputs: {} })).toEqual(['requires: input "diff" is missing or empty']);
  });

  it('rejects a required input that is empty or blank', () => {
    expect(checkDependencies({ requires: ['diff', 'schema'], inputs: { diff: '', schema: '  \n\t' } })).toEqual([
      'requires: input "diff" is missing or empty',
      'requires: input "schema" is missing or empty',
    ]);
  });

  it('accepts required inputs that are present, and ignores extra inputs', () => {
    expect(checkDependencies({ requires: ['diff'], inputs: { diff: '+ a line', notes: '' } })).toEqual([]);
    expect(checkDependencies({ requires: [], inputs: {} })).toEqual([]);
  });

  it('names only the missing ones', () => {
    expect(checkDependencies({ requires: ['diff', 'schema', 'logs'], inputs: { schema: 'CREATE TABLE t (id int);' } })).toEqual([
      'requires: input "diff" is missing or empty',
      'requires: input "logs" is missing or empty',
    ]);
  });

  it('rejects the blocked demo task through validateTaskRules', () => {
    expect(validateTaskRules(task({ objective: 'Review the attached diff of the session middleware for security bugs', requires: ['diff'] }))).toEqual({
      ok: false,
      reasons: ['requires: input "diff" is missing or empty'],
    });
  });
});

describe('checkContradictions', () => {
  it('rejects taking the database offline under a no-downtime constraint', () => {
    expect(
      validateTaskRules(task({ objective: 'Take the primary database offline to rebuild the search index', constraints: ['no downtime'] })),
    ).toEqual({
      ok: false,
      reasons: ['constraints.0 ("no downtime") demands no downtime but the objective takes the system down'],
    });
  });

  it('recognises the other ways of saying no downtime and taking the system down', () => {
    expect(
      checkContradictions({
        objective: 'Rebuild the search index by taking the DB offline for an hour',
        constraints: ['keep p99 under 200ms', 'zero downtime'],
      }),
    ).toEqual(['constraints.1 ("zero downtime") demands no downtime but the objective takes the system down']);
    expect(checkContradictions({ objective: 'Shut down the replica and resize its disk volume', constraints: ['without downtime'] })).toEqual([
      'constraints.0 ("without downtime") demands no downtime but the objective takes the system down',
    ]);
    expect(
      checkContradictions({ objective: 'Resize the replica disk volume during a maintenance window', constraints: ['No Downtime'] }),
    ).toEqual(['constraints.0 ("No Downtime") demands no downtime but the objective takes the system down']);
  });

  it('rejects writes under a read-only constraint', () => {
    expect(
      checkContradictions({ objective: 'Delete stale sessions older than 30 days from the sessions table', constraints: ['read-only'] }),
    ).toEqual(['constraints.0 ("read-only") is read-only but the objective writes']);
    expect(checkContradictions({ objective: 'Find stale sessions and update their expiry column', constraints: ['read only access'] })).toEqual([
      'constraints.0 ("read only access") is read-only but the objective writes',
    ]);
  });

  it('accepts reads under a read-only constraint', () => {
    expect(
      checkContradictions({ objective: 'Explain the query plan of the monthly revenue report', constraints: ['read-only access to production'] }),
    ).toEqual([]);
  });

  it('rejects "drop the users table" against "do not drop the users table"', () => {
    expect(
      validateTaskRules(task({ objective: 'Drop the users table and recreate it with the new schema', constraints: ['do not drop the users table'] })),
    ).toEqual({
      ok: false,
      reasons: ['constraints.0 ("do not drop the users table") forbids what the objective asks'],
    });
  });

  it('recognises never, must not and don\'t as prohibitions', () => {
    for (const constraint of ['never drop the users table', 'must not drop the users table', "don't drop the users table", 'Do not drop the users table']) {
      expect(checkContradictions({ objective: 'Drop the users table before the release', constraints: [constraint] })).toEqual([
        `constraints.0 ("${constraint}") forbids what the objective asks`,
      ]);
    }
  });

  it('accepts an objective that does not do the forbidden thing', () => {
    expect(checkContradictions({ objective: 'Add a NOT NULL status column to the users table', constraints: ['do not drop the users table'] })).toEqual([]);
    expect(checkContradictions({ objective: 'Drop the legacy_users table after archiving its rows', constraints: ['do not drop the users table'] })).toEqual(
      [],
    );
  });

  it('does not join a verb and an object across sentences', () => {
    expect(
      checkContradictions({ objective: 'Drop the sessions table. Keep the users table as it is.', constraints: ['never drop the users table'] }),
    ).toEqual([]);
  });

  it('rejects adding a dependency under a no-new-dependencies constraint', () => {
    expect(checkContradictions({ objective: 'Add a new dependency on date-fns to parse invoice dates', constraints: ['no new dependencies'] })).toEqual([
      'constraints.0 ("no new dependencies") forbids new dependencies but the objective adds one',
    ]);
  });

  it('reports every contradicting constraint with its index', () => {
    expect(
      checkContradictions({
        objective: 'Take the primary database offline to rebuild the search index',
        constraints: ['no downtime', 'do not rebuild the search index'],
      }),
    ).toEqual([
      'constraints.0 ("no downtime") demands no downtime but the objective takes the system down',
      'constraints.1 ("do not rebuild the search index") forbids what the objective asks',
    ]);
  });

  it('finds nothing without constraints', () => {
    expect(checkContradictions({ objective: 'Take the primary database offline to rebuild the search index', constraints: [] })).toEqual([]);
  });
});

describe('contentWords', () => {
  it('keeps words of four or more characters that are not stopwords, lower-cased', () => {
    expect(contentWords('Add an index to the orders table')).toEqual(['index', 'orders', 'table']);
    expect(contentWords('Please make the THING better')).toEqual(['better']);
    expect(contentWords('Tune created_at and tenant-aware')).toEqual(['tune', 'created_at', 'tenant-aware']);
    expect(contentWords('')).toEqual([]);
  });
});

describe('TaskInputSchema', () => {
  it('fills in the defaults', () => {
    const parsed = task({ objective: 'Add an index to the orders table' });
    expect(parsed).toMatchObject({
      objective: 'Add an index to the orders table',
      context: '',
      constraints: [],
      priority: 'normal',
      requires: [],
      inputs: {},
      maxIterations: 40,
      compressEvery: 10,
    });
    expect(parsed.specialist).toBeUndefined();
  });

  it('trims the objective', () => {
    expect(task({ objective: '  Add an index to orders \n' }).objective).toBe('Add an index to orders');
  });

  it('accepts every priority', () => {
    expect(PRIORITIES).toEqual(['low', 'normal', 'high', 'critical']);
    for (const priority of PRIORITIES) expect(task({ objective: 'Add an index to orders', priority }).priority).toBe(priority);
  });

  it('rejects an unknown field, naming it', () => {
    expect(issues({ objective: 'Add a unique index on users.email', colour: 'red' })).toEqual(['colour: unknown field']);
  });

  it('rejects an empty objective, naming the field', () => {
    expect(issues({ objective: '' })).toEqual(['objective: must be at least 10 characters']);
    expect(issues({ objective: '          ' })).toEqual(['objective: must be at least 10 characters']);
    expect(issues({})).toEqual(['objective: Invalid input: expected string, received undefined']);
  });

  it('rejects an objective over 4000 characters and accepts one of exactly 4000', () => {
    expect(MAX_OBJECTIVE_CHARS).toBe(4000);
    expect(issues({ objective: 'x'.repeat(4001) })).toEqual(['objective: must be at most 4000 characters']);
    expect(task({ objective: 'x'.repeat(4000) }).objective).toHaveLength(4000);
  });

  it('rejects a bad priority, naming the field and the options', () => {
    expect(issues({ objective: 'Add an index to orders', priority: 'urgent' })).toEqual([
      'priority: Invalid option: expected one of "low"|"normal"|"high"|"critical"',
    ]);
  });

  it('reports every bad field at once', () => {
    expect(issues({ objective: '', priority: 'urgent' })).toEqual([
      'objective: must be at least 10 characters',
      'priority: Invalid option: expected one of "low"|"normal"|"high"|"critical"',
    ]);
  });

  it('names nested fields by their path', () => {
    expect(issues({ objective: 'Add an index to orders', constraints: [''] })).toEqual(['constraints.0: Too small: expected string to have >=1 characters']);
    expect(issues({ objective: 'Add an index to orders', inputs: { diff: 3 } })).toEqual(['inputs.diff: Invalid input: expected string, received number']);
    expect(issues({ objective: 'Add an index to orders', constraints: Array(21).fill('keep it fast') })).toEqual([
      'constraints: Too big: expected array to have <=20 items',
    ]);
  });

  it('bounds the run limits', () => {
    expect(issues({ objective: 'Add an index to orders', maxIterations: 0 })).toEqual(['maxIterations: Too small: expected number to be >=1']);
    expect(issues({ objective: 'Add an index to orders', maxIterations: 1.5 })).toEqual(['maxIterations: Invalid input: expected int, received number']);
    expect(issues({ objective: 'Add an index to orders', compressEvery: 1 })).toEqual(['compressEvery: Too small: expected number to be >=2']);
  });

  it('rejects input that is not an object', () => {
    expect(issues('Add an index to orders')).toEqual(['(input): Invalid input: expected object, received string']);
    expect(issues(null)).toEqual(['(input): Invalid input: expected object, received null']);
  });
});

describe('specificity does not over-reject concrete tasks that use "this", "the issue" or "yesterday\'s"', () => {
  it.each([
    'Fix this SQL query so it uses the index on orders.created_at',
    'Investigate the issue reported in ticket OPS-412 about slow checkout',
    "Find why checkout is failing since yesterday's deploy of the payments service",
  ])('accepts %s', (objective) => {
    expect(checkSpecificity({ objective, context: '' })).toEqual([]);
  });

  it.each([
    ['fix this', /asks to "fix this" without naming the target/],
    ['Please look at the issue.', /refers to "the issue" without saying what it is/],
  ])('still rejects %s', (objective, reason) => {
    expect(checkSpecificity({ objective, context: '' }).join('\n')).toMatch(reason);
  });
});

describe('prohibitions compare the whole object', () => {
  it.each([
    ['Drop the users table', 'do not drop the users table ever', 1],
    ['Modify the billing schema to add a column', 'never modify the billing schema in production', 1],
    ["Drop the users table's unused email_old column", "don't drop the users table", 0],
    ['Drop the users_archive table', 'do not drop the users table', 0],
  ])('%s against "%s" gives %i contradiction(s)', (objective, constraint, count) => {
    expect(checkContradictions({ objective, constraints: [constraint] })).toHaveLength(count);
  });
});
