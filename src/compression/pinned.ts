import type { ChatMessage } from '../llm/types';
import { SpecialistStep } from '../specialists/protocol';
import type { Task } from '../tasks/task-input';

/**
 * Pinned facts: what no compression may lose. The task's constraints and required inputs, the
 * decisions the specialist declared final, and the warnings recalled from memory. Pantheon's code
 * carries each one verbatim into every prompt after a compression; the compressor is never
 * trusted with them. `presentFacts` is how a test or the bench checks that they are there.
 */

export const PINNED_KINDS = ['constraint', 'input', 'decision', 'warning'] as const;
export type PinnedKind = (typeof PINNED_KINDS)[number];

export interface PinnedFact {
  kind: PinnedKind;
  /** Exactly as it appears in the prompt. */
  text: string;
}

/** Pinned decisions per task. A specialist declaring more is told nothing; the later ones are
 * summarised like any other note (and logged), so a runaway cannot grow every prompt without end. */
export const MAX_PINNED_DECISIONS = 30;

/** How an input reads in the prompt's INPUTS section, and so as a pinned fact. */
export function inputLine(name: string, value: string): string {
  return `${name}: ${value}`;
}

/** Every pinned fact of a task at this point of its run, in prompt order. */
export function pinnedFacts(task: Pick<Task, 'constraints' | 'inputs'>, warnings: readonly string[], decisions: readonly string[]): PinnedFact[] {
  return [
    ...task.constraints.map((text) => ({ kind: 'constraint' as const, text })),
    ...Object.entries(task.inputs).map(([name, value]) => ({ kind: 'input' as const, text: inputLine(name, value) })),
    ...decisions.map((text) => ({ kind: 'decision' as const, text })),
    ...warnings.map((text) => ({ kind: 'warning' as const, text })),
  ];
}

/**
 * Decisions declared final in the specialist's own answers (assistant turns that parse as a
 * step), in order. Anything else in the history, user turns included, declares nothing.
 */
export function declaredDecisions(history: readonly ChatMessage[]): string[] {
  const found: string[] = [];
  for (const message of history) {
    if (message.role !== 'assistant') continue;
    let json: unknown;
    try {
      json = JSON.parse(message.content);
    } catch {
      continue;
    }
    const step = SpecialistStep.safeParse(json);
    if (step.success) found.push(...(step.data.decisions ?? []));
  }
  return found;
}

/**
 * The decisions pinned after this compression: the earlier ones first (never dropped), then new
 * ones not already pinned, up to {@link MAX_PINNED_DECISIONS}. `overflow` is what did not fit.
 */
export function carryDecisions(earlier: readonly string[], declared: readonly string[]): { decisions: string[]; overflow: string[] } {
  const decisions = [...earlier];
  const overflow: string[] = [];
  for (const decision of declared) {
    if (decisions.includes(decision)) continue;
    if (decisions.length >= MAX_PINNED_DECISIONS) overflow.push(decision);
    else decisions.push(decision);
  }
  return { decisions, overflow };
}

/** The facts found verbatim in the text (a prompt flattened to one string). */
export function presentFacts<F extends { text: string }>(text: string, facts: readonly F[]): F[] {
  return facts.filter((f) => text.includes(f.text));
}

/** A prompt as one string: the system prompt and every message, as the provider receives them. */
export function promptText(system: string, messages: readonly ChatMessage[]): string {
  return [system, ...messages.map((m) => m.content)].join('\n\n');
}
