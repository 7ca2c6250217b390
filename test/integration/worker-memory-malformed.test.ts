import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config/env';
import { createLogger } from '../../src/logging/logger';
import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import { recallForPrompt } from '../../src/memory/recall-for-prompt';
import { SqliteMemoryStore } from '../../src/memory/sqlite-store';
import type { MemoryRecord } from '../../src/memory/types';
import { buildWorkerDeps, prepareProviders } from '../../src/workers/deps';
import { testAddress } from '../support/harness';

/**
 * A worker's memory, built as `npm run worker` builds it (buildWorkerDeps), over a store file that
 * holds one record in a shape Pantheon does not write: the prompt recall that routing and every
 * run make still serves the other records, and the operator gets one `memory_malformed` alert
 * naming the record (not one per recall). Before, the whole recall failed and the task ran
 * without any memory, with only a warning in the log.
 */

const OBJECTIVE = 'Scrape product prices from the Acme online shop for the quarterly report';

function failure(taskId: string, result: string): MemoryRecord {
  return {
    id: `${taskId}:failure`, taskId, specialist: 'ResearchAgent', objective: OBJECTIVE, approach: 'fetched product pages one by one',
    result, success: false, costUsd: 0.1, lessons: [], createdAt: '2026-12-01T10:00:00.000Z', offline: true,
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pantheon-worker-malformed-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("a worker's prompt recall leaves out a malformed record, serves the rest, and alerts once naming it", async () => {
  const file = join(dir, 'memory.sqlite');
  const writer = await SqliteMemoryStore.open({ file, embedder: new HashingEmbedder() });
  await writer.put(failure('shop-1', 'blocked by a CAPTCHA after 20 requests'));
  await writer.put(failure('shop-2', 'the price table came back as prose'));
  await writer.put(failure('shop-3', 'prices were in the wrong currency'));
  await writer.close();
  const db = new Database(file);
  db.prepare("UPDATE memories SET cost_usd = -3 WHERE id = 'shop-2:failure'").run();
  db.close();

  const id = `malformed-${process.pid}-${Date.now()}`;
  const config = loadConfig({ TEMPORAL_ADDRESS: testAddress(), PANTHEON_MEMORY_FILE: file, PANTHEON_TASK_QUEUE: `test-${id}`, PANTHEON_LEDGER_ID: `ledger-${id}`, PANTHEON_GOD_ID: `god-${id}` });
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    }),
  });
  const connection = await Connection.connect({ address: testAddress() });
  const built = await buildWorkerDeps(config, logger, new Client({ connection, namespace: 'default' }), prepareProviders(config, logger));
  try {
    for (let i = 0; i < 2; i++) {
      const { lines: prompt } = await recallForPrompt(built.deps.memory, { objective: OBJECTIVE }, { specialist: 'ResearchAgent', attempts: [] });
      expect(prompt.join('\n')).toContain('CAPTCHA');
      expect(prompt.join('\n')).toContain('wrong currency');
      expect(prompt.join('\n')).not.toContain('prose');
    }
    const alerts = lines.filter((l) => l.alert === 'memory_malformed');
    expect(alerts).toHaveLength(1);
    expect(alerts[0].msg).toContain('shop-2:failure');
    expect(alerts[0].msg).toContain('costUsd');
    expect(alerts[0].msg).toContain('recall leaves it out');
  } finally {
    await built.close();
    await connection.close();
  }
});
