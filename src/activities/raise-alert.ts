import { log } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import type { AlertInput } from './types';

/**
 * Raises an operator alert (an error log line, and a webhook POST when configured). The id lets a
 * receiver drop the duplicate a retried activity may send.
 */
export function createRaiseAlert({ alerter }: Pick<ActivityDeps, 'alerter'>) {
  return async function raiseAlert(input: AlertInput): Promise<void> {
    log.error(input.message, { alert: input.kind, id: input.id, ...input.details });
    await alerter.alert(input);
  };
}
