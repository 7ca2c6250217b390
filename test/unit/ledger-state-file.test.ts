import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initialLedgerState, reserve, settle } from '../../src/budget/ledger';
import { readStateFile } from '../../src/client/ledger-state-file';
import { limitsWith } from '../support/limits';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const limits = limitsWith({ systemHourlyUsd: 5 });

/** Temp dirs of the files written here, removed once the file's tests are done. */
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function writeTemp(content: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pantheon-state-'));
  dirs.push(dir);
  const file = path.join(dir, 'state.json');
  fs.writeFileSync(file, JSON.stringify(content));
  return file;
}

describe('budget restore --file reads an exported ledger', () => {
  it('keeps every count of the day window, the experimental lane and expired leases included', () => {
    const state = initialLedgerState(T0, limits);
    reserve(state, { key: 'k1', taskId: 't1', agent: 'A', usd: 0.4, tokens: 100, lane: 'experimental' }, T0, limits);
    settle(state, 'k1', { usd: 0.2, tokens: 50 }, T0, limits);
    state.day.leasesExpired = { usd: 0.7, tokens: 300 };
    expect(state.day.experimental).toEqual({ usd: 0.2, tokens: 50 });
    const exported = JSON.parse(JSON.stringify({ limits, state }));

    const carried = readStateFile(writeTemp(exported));
    expect(carried.state.day.leasesExpired).toEqual({ usd: 0.7, tokens: 300 });
    expect(carried.state.day.experimental).toEqual({ usd: 0.2, tokens: 50 });
    expect(carried).toEqual(exported);
  });

  it('refuses a malformed expired-lease count, naming the file and the field', () => {
    const state = JSON.parse(JSON.stringify(initialLedgerState(T0, limits)));
    state.day.leasesExpired = { usd: 'a lot', tokens: 1 };
    const file = writeTemp({ limits, state });
    expect(() => readStateFile(file)).toThrow(`--file ${file}: state.day.leasesExpired.usd`);
  });
});
