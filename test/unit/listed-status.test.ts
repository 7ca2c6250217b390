import { LISTABLE_STATUSES, listedStatus, statusClause } from '../../src/client/listed-status';

/** The status `pantheon list` and the `status` overview show, and what `list --status` queries (src/client/listed-status.ts). */

describe('listedStatus', () => {
  it('shows a terminated or timed-out task as that, not as the running status its last upsert left', () => {
    expect(listedStatus('running', 'TERMINATED')).toBe('terminated');
    expect(listedStatus('waiting_budget', 'TIMED_OUT')).toBe('timed_out');
    expect(listedStatus(undefined, 'TERMINATED')).toBe('terminated');
  });

  it("shows a running task's PantheonStatus, and an ended task's end", () => {
    expect(listedStatus('routing', 'RUNNING')).toBe('routing');
    // No status yet: no worker has run its first step (started around the CLI, on a queue nobody polls).
    expect(listedStatus(undefined, 'RUNNING')).toBe('queued');
    expect(listedStatus('rejected', 'COMPLETED')).toBe('rejected');
    expect(listedStatus('dead_lettered', 'FAILED')).toBe('dead_lettered');
  });

  it('shows a closed task whose PantheonStatus is no end by its execution status', () => {
    expect(listedStatus('running', 'FAILED')).toBe('failed');
    expect(listedStatus('queued', 'CANCELLED')).toBe('cancelled');
  });
});

describe('statusClause', () => {
  it('finds an active status only on running executions', () => {
    expect(statusClause('running')).toBe("PantheonStatus = 'running' AND ExecutionStatus = 'Running'");
    // Queued: as the CLI starts a task, or without any status yet (listedStatus shows that as queued too).
    expect(statusClause('queued')).toBe("(PantheonStatus = 'queued' OR PantheonStatus IS NULL) AND ExecutionStatus = 'Running'");
  });

  it('finds an end on executions not stopped from outside, and terminated or timed-out ones by their execution status', () => {
    expect(statusClause('completed')).toBe("PantheonStatus = 'completed' AND ExecutionStatus != 'Terminated' AND ExecutionStatus != 'TimedOut'");
    expect(statusClause('terminated')).toBe("ExecutionStatus = 'Terminated'");
    expect(statusClause('timed_out')).toBe("ExecutionStatus = 'TimedOut'");
    expect(LISTABLE_STATUSES).toEqual(expect.arrayContaining(['running', 'completed', 'terminated', 'timed_out']));
  });
});
