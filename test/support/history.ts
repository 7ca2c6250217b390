import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { findTemporalCli } from '../../src/runtime/temporal-cli';
import { testAddress } from './harness';
import { temporal } from '@temporalio/proto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { repoRoot } from '../../src/config/paths';

export const HISTORY_FIXTURES = path.join(repoRoot(), 'test', 'fixtures', 'histories');
/** Fixture file → the workflow id it was recorded under, for workflows whose commands depend on
 * their own id (a chain names its steps after it). Fixtures not listed replay under their file name. */
const FIXTURE_WORKFLOW_IDS = path.join(repoRoot(), 'test', 'fixtures', 'history-workflow-ids.json');

const fixtureWorkflowIds = (): Record<string, string> =>
  fs.existsSync(FIXTURE_WORKFLOW_IDS) ? (JSON.parse(fs.readFileSync(FIXTURE_WORKFLOW_IDS, 'utf8')) as Record<string, string>) : {};

export function fixtureWorkflowId(file: string): string {
  return fixtureWorkflowIds()[file] ?? file;
}

/** The activity types a workflow scheduled, in order, read from its real event history. */
export async function scheduledActivities(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?');
}

/** The patch ids of a workflow's patch markers, in history order (each from its marker's patch-data). */
export async function patchMarkers(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_MARKER_RECORDED).map((e) => patchIdOf(e) ?? '?');
}

/** A patch marker's patch id; undefined for any other event. */
export function patchIdOf(e: temporal.api.history.v1.IHistoryEvent): string | undefined {
  if (e.eventType !== temporal.api.enums.v1.EventType.EVENT_TYPE_MARKER_RECORDED) return undefined;
  const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
  return data ? (JSON.parse(Buffer.from(data).toString()) as { id: string }).id : undefined;
}

/**
 * With PANTHEON_RECORD_HISTORIES=1 a test saves the history of a run as a replay fixture.
 * Fixtures are committed; the replay test guards them against non-deterministic changes.
 */
export async function maybeRecordHistory(workflowId: string, name: string, runId?: string): Promise<void> {
  if (process.env.PANTHEON_RECORD_HISTORIES !== '1') return;
  // The Temporal CLI writes the standard JSON history format that historyFromJSON reads back.
  const cli = await findTemporalCli({ install: false });
  const run = runId ? ['--run-id', runId] : [];
  const json = execFileSync(cli, ['workflow', 'show', '--workflow-id', workflowId, ...run, '--output', 'json', '--address', testAddress()], {
    encoding: 'utf8',
  });
  saveFixture(workflowId, name, json);
}

/**
 * The same for a run's events already read through a client (a server the CLI does not know, such
 * as the time-skipping test server): written in the format historyFromJSON reads back.
 */
export function maybeRecordEvents(workflowId: string, name: string, events: temporal.api.history.v1.IHistoryEvent[]): void {
  if (process.env.PANTHEON_RECORD_HISTORIES !== '1') return;
  saveFixture(workflowId, name, historyToJSON(temporal.api.history.v1.History.create({ events })));
}

function saveFixture(workflowId: string, name: string, json: string): void {
  fs.mkdirSync(HISTORY_FIXTURES, { recursive: true });
  fs.writeFileSync(path.join(HISTORY_FIXTURES, `${name}.json`), json);
  const ids = { ...fixtureWorkflowIds(), [`${name}.json`]: workflowId };
  const sorted = Object.fromEntries(Object.entries(ids).sort(([a], [b]) => a.localeCompare(b)));
  fs.writeFileSync(FIXTURE_WORKFLOW_IDS, `${JSON.stringify(sorted, null, 2)}\n`);
}
