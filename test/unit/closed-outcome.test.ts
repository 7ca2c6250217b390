import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, ChildWorkflowFailure, TerminatedFailure } from '@temporalio/common';
import { TASK_FAILURE_TYPES, isFailedTaskStatus } from '../../src/errors';
import { closedResult, outcomeOfFailure, taskEndFailure } from '../../src/tasks/closed-outcome';
import type { TaskOutcome } from '../../src/workflows/task-state';

const outcome = (status: 'dead_lettered' | 'budget_exceeded', reason: string): TaskOutcome & { status: typeof status } => ({
  taskId: 't-1',
  status,
  objective: 'Add an index',
  priority: 'normal',
  iteration: 2,
  compressions: [],
  promptTokens: [],
  costUsd: 0.01,
  tokens: 100,
  reasons: [reason],
  failures: [],
  specialistsTried: ['DatabaseAgent'],
  requeues: 0,
});

const dead = outcome('dead_lettered', 'runSpecialist failed: quota_exhausted: no credit');

describe('a failed task end', () => {
  it('fails only dead_lettered and budget_exceeded, each with its own type', () => {
    expect(['completed', 'rejected', 'dead_lettered', 'cancelled', 'budget_exceeded'].filter(isFailedTaskStatus)).toEqual(['dead_lettered', 'budget_exceeded']);
    expect(TASK_FAILURE_TYPES).toEqual({ dead_lettered: 'TaskDeadLettered', budget_exceeded: 'TaskBudgetExceeded' });
  });

  it('is a non-retryable ApplicationFailure led by the status, with the whole outcome as its detail', () => {
    const failure = taskEndFailure(dead);
    expect(failure).toMatchObject({ type: 'TaskDeadLettered', nonRetryable: true, message: 'dead_lettered: runSpecialist failed: quota_exhausted: no credit', details: [dead] });
    // A budget stop's reason already names its status: not twice.
    expect(taskEndFailure(outcome('budget_exceeded', 'budget_exceeded: task:t-1 has spent 9000 tokens')).message).toBe('budget_exceeded: task:t-1 has spent 9000 tokens');
  });
});

describe('reading a closed task', () => {
  const failure = taskEndFailure(dead);

  it('finds the outcome behind a client\'s WorkflowFailedError and a parent\'s ChildWorkflowFailure', () => {
    expect(outcomeOfFailure(new WorkflowFailedError('Workflow execution failed', failure, 'NON_RETRYABLE_FAILURE'))).toEqual(dead);
    const child = new ChildWorkflowFailure('default', { workflowId: 'c:step-2', runId: 'r' }, 'agentTask', 'NON_RETRYABLE_FAILURE', failure);
    expect(outcomeOfFailure(child)).toEqual(dead);
  });

  it('finds none behind any other failure: a real failure stays a failure', () => {
    expect(outcomeOfFailure(new WorkflowFailedError('failed', ApplicationFailure.nonRetryable('bug', 'TypeError'), 'NON_RETRYABLE_FAILURE'))).toBeUndefined();
    expect(outcomeOfFailure(new WorkflowFailedError('terminated', new TerminatedFailure('by hand'), 'NON_RETRYABLE_FAILURE'))).toBeUndefined();
    expect(outcomeOfFailure('not an error')).toBeUndefined();
  });

  it('returns a completed result as is, a failed task\'s outcome, and rethrows anything else', async () => {
    expect(await closedResult({ result: async () => ({ status: 'completed' }) })).toEqual({ status: 'completed' });
    expect(await closedResult({ result: () => Promise.reject(new WorkflowFailedError('failed', failure, 'NON_RETRYABLE_FAILURE')) })).toEqual(dead);
    const terminated = new WorkflowFailedError('terminated', new TerminatedFailure('by hand'), 'NON_RETRYABLE_FAILURE');
    await expect(closedResult({ result: () => Promise.reject(terminated) })).rejects.toBe(terminated);
  });
});
