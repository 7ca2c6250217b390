import { specialistMessages } from '../../src/activities/prompts';
import type { CompressContextInput, CompressContextResult } from '../../src/activities/types';
import { presentFacts, promptText } from '../../src/compression/pinned';
import type { ContextSummary } from '../../src/compression/summary';
import { plantFacts, type FactKind, type PlantedFact } from './plant';

/**
 * Compresses a planted task K times, every E steps, through the compressContext activity, and
 * after each compression checks which facts stated so far are still verbatim in the prompt the
 * specialist would see next.
 */

export interface RetentionOptions {
  facts: number;
  compressions: number;
  /** Steps between compressions (the task's compressEvery). */
  every: number;
}

export interface Kept {
  planted: number;
  kept: number;
}

export interface CompressionRow {
  atIteration: number;
  promptTokensBefore: number;
  promptTokensAfter: number;
  /** What the compressor call itself billed. */
  compressorTokens: number;
  pinned: Kept;
  unpinned: Kept;
  byKind: Record<FactKind, Kept>;
  /** Facts stated so far and missing from the next prompt. */
  lost: PlantedFact[];
}

export const PINNED_TARGET = 0.95;

const KINDS: FactKind[] = ['constraint', 'input', 'decision', 'warning', 'note'];

function tally(planted: readonly PlantedFact[], present: ReadonlySet<PlantedFact>): Kept {
  return { planted: planted.length, kept: planted.filter((f) => present.has(f)).length };
}

export function share({ planted, kept }: Kept): number {
  return planted === 0 ? 1 : kept / planted;
}

export async function measureRetention(
  options: RetentionOptions,
  compress: (input: CompressContextInput) => Promise<CompressContextResult>,
  specialist: { name: string; system: string },
): Promise<CompressionRow[]> {
  const steps = options.compressions * options.every;
  const planted = plantFacts(options.facts, steps);
  const rows: CompressionRow[] = [];
  let summary: ContextSummary | undefined;
  for (let k = 1; k <= options.compressions; k++) {
    const first = (k - 1) * options.every + 1;
    const history = Array.from({ length: options.every }, (_, i) => planted.turns(first + i)).flat();
    const result = await compress({ taskId: 'bench-compression', specialist: specialist.name, task: planted.task, warnings: planted.warnings, summary, history });
    summary = result.summary;
    const prompt = promptText(specialist.system, specialistMessages(planted.task, planted.warnings, summary, []));
    const stated = planted.facts.filter((f) => f.step <= k * options.every);
    const present = new Set(presentFacts(prompt, stated));
    rows.push({
      atIteration: k * options.every,
      promptTokensBefore: result.promptTokensBefore,
      promptTokensAfter: result.promptTokensAfter,
      compressorTokens: result.tokens,
      pinned: tally(stated.filter((f) => f.pinned), present),
      unpinned: tally(stated.filter((f) => !f.pinned), present),
      byKind: Object.fromEntries(KINDS.map((kind) => [kind, tally(stated.filter((f) => f.kind === kind), present)])) as Record<FactKind, Kept>,
      lost: stated.filter((f) => !present.has(f)),
    });
  }
  return rows;
}
