import type { CallPurpose, ProviderName } from '../types';
import type { FaultKind } from './faults';

/**
 * One LLM request as the provider saw it. Token counts are what the response reported as usage,
 * so they are 0 when the response carried none (errors, hangs, resets, unparseable bodies): the
 * sum over the log is exactly what a client could have billed.
 */
export interface CallRecord {
  seq: number;
  /** ISO time the request arrived. */
  at: string;
  provider: ProviderName;
  model: string;
  purpose: CallPurpose;
  agent: string;
  task: string | null;
  /** The lineage headers the call carried, if any. */
  lineage?: { rootTaskId: string; parentTaskId: string | null; spawnDepth: number | null };
  /** The lane header the call carried, as sent (absent: none was sent). */
  lane?: string;
  /** The memory lines a specialist prompt carried (absent: none), so a test sees what memory reached it. */
  memory?: string[];
  /** A scenario's verdict on a specialist call (scenario.ts); absent when no scenario rule applied. */
  scenario?: { kind?: string; success: boolean; costFactor: number };
  inputTokens: number;
  outputTokens: number;
  fault?: FaultKind;
  /** HTTP status answered; 0 when no response was sent (hang, reset). */
  status: number;
}

export class CallLog {
  private records: CallRecord[] = [];
  private seq = 0;

  nextSeq(): number {
    return ++this.seq;
  }

  add(record: CallRecord): void {
    this.records.push(record);
  }

  list(): CallRecord[] {
    return this.records.map((r) => ({ ...r }));
  }

  /** Sequence numbers keep counting so ids stay unique across resets. */
  reset(): void {
    this.records = [];
  }
}
