import { MockActivityEnvironment } from '@temporalio/testing';
import type { LogLevel, LogMetadata } from '@temporalio/common';
import pino from 'pino';
import { Writable } from 'node:stream';
import { createRaiseAlert } from '../../src/activities/raise-alert';
import { createAlerter } from '../../src/alerts/alerter';

/** The raiseAlert activity: one error line per alert (the alerter's, naming the workflow), not two. */

it("logs an alert once, naming the workflow that raised it, and nothing on the activity's own logger", async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
  const alerter = createAlerter({ logger: pino({ level: 'info' }, sink) });
  const activityLog: Array<{ level: LogLevel; message: string; meta?: LogMetadata }> = [];
  const logger = { log: (level: LogLevel, message: string, meta?: LogMetadata) => activityLog.push({ level, message, meta }), trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: (message: string, meta?: LogMetadata) => activityLog.push({ level: 'ERROR', message, meta }) };
  const env = new MockActivityEnvironment({ workflowExecution: { workflowId: 'task-7', runId: 'run-1' }, workflowType: 'agentTask' }, { logger });
  const raise = createRaiseAlert({ alerter });

  await env.run(raise, { id: 'task-7:dead_letter', kind: 'dead_letter', message: 'task task-7 dead-lettered: out of specialists', details: { taskId: 'task-7' } });
  // The same alert again (a retried activity): the alerter drops it by its id.
  await env.run(raise, { id: 'task-7:dead_letter', kind: 'dead_letter', message: 'task task-7 dead-lettered: out of specialists', details: { taskId: 'task-7' } });

  const errors = lines.filter((l) => l.level === 50);
  expect(errors).toEqual([expect.objectContaining({ msg: 'task task-7 dead-lettered: out of specialists', alert: 'dead_letter', workflowId: 'task-7', workflowType: 'agentTask', taskId: 'task-7' })]);
  expect(activityLog.filter((l) => l.level === 'ERROR')).toEqual([]);
});
