import type { ChatMessage } from '../../src/llm/types';
import { CONTINUE_MESSAGE } from '../../src/activities/prompts';
import { inputLine, type PinnedKind } from '../../src/compression/pinned';
import { TaskInputSchema, type Task } from '../../src/tasks/task-input';

/**
 * A long task with N checkable facts planted in it, and the specialist's turns that carry them.
 * Pinned facts are the task's constraints and inputs, memory warnings and decisions the
 * specialist declares final in its steps; unpinned facts appear only in an intermediate step's
 * note. Every fact holds a unique marker ("fact C01"), so presence is a plain substring check.
 */

export type FactKind = PinnedKind | 'note';

export interface PlantedFact {
  kind: FactKind;
  pinned: boolean;
  text: string;
  /** The step that states it; 0 for what the task and its route carry from the start. */
  step: number;
}

export interface Planted {
  task: Task;
  warnings: string[];
  facts: PlantedFact[];
  /** The specialist's turn for each step (1-based), as run-specialist records them. */
  turns(step: number): ChatMessage[];
}

const PINNED_KINDS: PinnedKind[] = ['constraint', 'input', 'decision', 'warning'];
const pad = (n: number) => String(n).padStart(2, '0');

/** Spreads `count` facts over steps 1..steps, the first on step 1 and the last on the last step. */
function spread(count: number, steps: number, index: number): number {
  return count <= 1 ? steps : 1 + Math.round((index * (steps - 1)) / (count - 1));
}

/**
 * Half of the facts (rounded up) are pinned, dealt in turn to constraint, input, decision and
 * warning; the rest are notes. Steps run 1..steps; the task has two more work items so the
 * specialist is still working when the last compression comes.
 */
export function plantFacts(count: number, steps: number): Planted {
  const pinnedCount = Math.ceil(count / 2);
  const byKind = new Map<PinnedKind, number>(PINNED_KINDS.map((k) => [k, 0]));
  for (let i = 0; i < pinnedCount; i++) byKind.set(PINNED_KINDS[i % 4], byKind.get(PINNED_KINDS[i % 4])! + 1);
  const n = (kind: PinnedKind) => byKind.get(kind)!;

  const constraints = Array.from({ length: n('constraint') }, (_, i) => `keep shard ${i + 1} writable during its move (fact C${pad(i + 1)})`);
  const inputs = Object.fromEntries(Array.from({ length: n('input') }, (_, i) => [`source_${pad(i + 1)}`, `postgres://replica-${i + 1}.internal:5432/shop (fact I${pad(i + 1)})`]));
  const warnings = Array.from({ length: n('warning') }, (_, i) => `[memory: past failure] (similarity 0.8${i % 10}) a similar move stalled on shard ${i + 7} when its lock queue grew (fact W${pad(i + 1)}).`);
  const decisions = Array.from({ length: n('decision') }, (_, i) => ({ step: spread(n('decision'), steps, i), text: `Shard ${i + 1} moves with logical replication, not dump and restore (fact D${pad(i + 1)})` }));
  const notes = Array.from({ length: count - pinnedCount }, (_, i) => ({ step: spread(count - pinnedCount, steps, i), text: `replica ${i + 1} lagged ${20 + i} s behind the primary (fact U${pad(i + 1)})` }));

  const items = Array.from({ length: steps + 2 }, (_, i) => `- move shard ${i + 1} to the new cluster`);
  const task = TaskInputSchema.parse({
    objective: `Move the shop database to the new cluster, one shard at a time:\n${items.join('\n')}`,
    constraints,
    inputs,
    maxIterations: 200,
  });
  const facts: PlantedFact[] = [
    ...constraints.map((text) => ({ kind: 'constraint' as const, pinned: true, text, step: 0 })),
    ...Object.entries(inputs).map(([k, v]) => ({ kind: 'input' as const, pinned: true, text: inputLine(k, v), step: 0 })),
    ...warnings.map((text) => ({ kind: 'warning' as const, pinned: true, text, step: 0 })),
    ...decisions.map((d) => ({ kind: 'decision' as const, pinned: true, ...d })),
    ...notes.map((d) => ({ kind: 'note' as const, pinned: false, ...d })),
  ];
  const total = steps + 3;
  return {
    task,
    warnings,
    facts,
    turns(step) {
      const found = notes.filter((f) => f.step === step).map((f) => ` Found: ${f.text}.`).join('');
      const declared = decisions.filter((d) => d.step === step).map((d) => d.text);
      const answer = { step, of: total, status: 'continue', note: `Step ${step} of ${total}: moved shard ${step}.${found}`, ...(declared.length ? { decisions: declared } : {}) };
      return [{ role: 'assistant', content: JSON.stringify(answer) }, { role: 'user', content: CONTINUE_MESSAGE }];
    },
  };
}
