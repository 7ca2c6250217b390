import fs from 'node:fs';
import { z } from 'zod';
import { LimitsSchema } from '../budget/limits';
import { LedgerStateSchema } from '../budget/messages';
import { PantheonError } from '../errors';
import type { CarriedLedger } from '../budget/ledger-defs';

/** What `pantheon budget export` prints and `restore --file` reads. */
const CarriedLedgerSchema = z.object({ limits: LimitsSchema, state: LedgerStateSchema, options: z.record(z.string(), z.unknown()).optional() });

/** Reads an exported ledger state; a bad file is refused naming the file and the field. */
export function readStateFile(file: string): CarriedLedger {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw PantheonError.of('invalid_input', `--file ${file}: ${(err as Error).message}`, { details: { field: '--file' } });
  }
  const parsed = CarriedLedgerSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw PantheonError.of('invalid_input', `--file ${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, { details: { field: '--file' } });
  }
  // Checked where arithmetic depends on it; the rest of the state is the ledger's own bookkeeping.
  return parsed.data as unknown as CarriedLedger;
}
