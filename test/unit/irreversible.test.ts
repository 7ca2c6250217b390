import { irreversibleIn, irreversibleReasons, isNegated } from '../../src/tasks/irreversible';

/** The category each text must be flagged with (one per reason, in rule order), or [] for none. */
const FLAGGED: Array<[string, string[]]> = [
  ['Drop the legacy_orders table after the export', ['destroys data']],
  ['DROP TABLE users;', ['destroys data']],
  ['drop the old email index on accounts', ['destroys data']],
  ['Start by dropping the audit columns from invoices', ['destroys data']],
  ['Truncate the sessions table every night', ['destroys data']],
  ['TRUNCATE TABLE events', ['destroys data']],
  ['Delete all user records older than two years', ['destroys data']],
  ['DELETE FROM orders WHERE created_at < now()', ['destroys data']],
  ['Purge the S3 bucket of old invoices', ['destroys data']],
  ['Wipe the staging environment before the demo', ['destroys data']],
  ['Destroy the terraform stack for the old region', ['destroys data']],
  ['Clean the build host: rm -rf /var/cache/builds', ['deletes files recursively']],
  ['run rm -fr ./dist before packaging', ['deletes files recursively']],
  ['rm -r -f tmp/', ['deletes files recursively']],
  ['Rebase the feature branch and git push --force to origin', ['rewrites shared git history']],
  ['git push -f origin main after the squash', ['rewrites shared git history']],
  ['Force-push the rewritten history to main', ['rewrites shared git history']],
  ['git reset --hard to the last release tag on the shared branch', ['discards work irrecoverably']],
  ['Update the prices of every plan in production', ['writes to production']],
  ['Backfill the country column on the prod database', ['writes to production']],
  ['Run the migration against production tonight', ['writes to production']],
  ['Add a unique index to the production database', ['writes to production']],
  ['On the production cluster, rename the orders topic', ['writes to production']],
  ['Write to the live database directly from the script', ['writes to production']],
  // A negation in one clause does not cover the next.
  ['Migrate the schema without downtime and drop the old column', ['destroys data']],
  ['Do not drop the users table, but drop the temp_import table', ['destroys data']],
  ['Delete the stale rows in production', ['destroys data', 'writes to production']],
];

const NOT_FLAGGED: string[] = [
  'Do not drop the users table',
  "Don't delete anything; only report the duplicates",
  'Never truncate the sessions table',
  'Add the column without dropping any existing data',
  'Archive the old rows instead of deleting them',
  'Do not delete or truncate the audit table',
  'You must not force-push to main',
  'In production, never update rows by hand; open a change request',
  'Analyse the slow queries on the production database',
  'Write a runbook for restoring the production database from backups',
  'Update the documentation of the production cluster',
  'Research whether to drop support for Internet Explorer 11',
  'Truncate long labels in the settings page to 40 characters',
  'Add a delete button to the invoice list',
  'Implement soft delete for customer accounts',
  'Add ON DELETE CASCADE to the orders foreign key in the schema design document',
  'The legacy table was dropped last week; document what replaced it',
  'Design a dropdown for choosing the report period',
  'Compare three vendors of product analytics tools',
  // Writing or thinking about an action is not doing it.
  'Research whether to drop the orders table after the migration',
  'Explain the risks of force-pushing to main in the onboarding guide',
  'Document how to delete a tenant safely',
];

describe('irreversible actions', () => {
  it.each(FLAGGED)('flags %p', (text, whys) => {
    const reasons = irreversibleIn(text);
    expect(reasons.map((r) => r.split(':')[0])).toEqual(whys);
  });

  it.each(NOT_FLAGGED.map((t) => [t]))('does not flag %p', (text) => {
    expect(irreversibleIn(text)).toEqual([]);
  });

  it('quotes the words that triggered each reason, so a reviewer sees why', () => {
    const [reason] = irreversibleIn('Please drop the users table before Friday');
    expect(reason).toMatch(/^destroys data: ".*drop the users table.*"$/);
  });

  it('reads objective and context, but not constraints (they restrict, they do not ask)', () => {
    expect(irreversibleReasons({ objective: 'Free disk space on the build host', context: '- stop the exporter\n- rm -rf /tmp/exports' })).toEqual([
      expect.stringMatching(/^deletes files recursively/),
    ]);
    const constrained = { objective: 'Tidy the orders schema naming', context: '', constraints: ['drop nothing', 'never delete rows'] };
    expect(irreversibleReasons(constrained)).toEqual([]);
  });

  it('keeps one reason per kind of harm however often it appears', () => {
    expect(irreversibleIn('Delete the logs. Delete the caches. Delete the backups.')).toHaveLength(1);
  });

  describe('isNegated', () => {
    it.each([
      ['do not drop', 7, true],
      ['never drop', 6, true],
      ["don't drop", 6, true],
      ['with no downtime, drop', 19, false],
      ['avoid downtime and then drop', 24, false],
      ['drop', 0, false],
    ])('%p at %p → %p', (text, index, expected) => {
      expect(isNegated(text, index)).toBe(expected);
    });
  });
});

it('quotes whole words, and says "…" where it cut the task short', () => {
  expect(irreversibleIn('Delete the stale rows of the sessions table in staging')).toEqual(['destroys data: "Delete the stale rows of the sessions…"']);
  expect(irreversibleIn('drop the users table')).toEqual(['destroys data: "drop the users table"']);
});
