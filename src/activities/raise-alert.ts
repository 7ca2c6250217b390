import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import type { AlertInput } from './types';

/**
 * Raises an operator alert through the alerter: one error log line per alert id, and a webhook
 * POST when configured. The id lets a receiver drop the duplicate a retried activity may send. The
 * line names the workflow that raised it (the alerter is shared with the budget gate, which has
 * none); the activity logs nothing of its own, or every alert was logged twice.
 */
export function createRaiseAlert({ alerter }: Pick<ActivityDeps, 'alerter'>) {
  return async function raiseAlert(input: AlertInput): Promise<void> {
    const { workflowExecution, workflowType } = Context.current().info;
    await alerter.alert({ ...input, details: { workflowId: workflowExecution?.workflowId, workflowType, ...input.details } });
  };
}
