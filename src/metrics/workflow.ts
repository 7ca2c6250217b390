import { metricMeter } from '@temporalio/workflow';
import { METRICS } from './names';

/**
 * Workflow-side recorders (workflow code only). The SDK drops these while replaying and sends them
 * through a sink, never as commands: history and replay are unchanged by them.
 */

export function recordTaskEnd(status: string, specialist: string | undefined): void {
  metricMeter.createCounter(METRICS.tasks.name, 'tasks', METRICS.tasks.help).add(1, { status, specialist: specialist ?? 'none' });
}

export function recordDeadLetter(specialist: string | undefined, failure: string | undefined): void {
  metricMeter.createCounter(METRICS.deadLetters.name, 'tasks', METRICS.deadLetters.help).add(1, { specialist: specialist ?? 'none', failure: failure ?? 'unknown' });
}

export function recordStaleNotice(action: 'flag' | 'requeue', specialist: string | undefined): void {
  metricMeter.createCounter(METRICS.staleNotices.name, 'notices', METRICS.staleNotices.help).add(1, { action, specialist: specialist ?? 'none' });
}
