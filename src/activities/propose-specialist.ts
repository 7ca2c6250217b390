import { Context, log } from '@temporalio/activity';
import { SpawnerAnswer } from '../god/protocol';
import type { SpawnedSpecialist } from '../god/types';
import { parseStructured } from '../llm/client';
import { totalTokens } from '../llm/usage';
import { spawnKind } from '../routing/kinds';
import { SpecialistSchema, specialistProblems } from '../specialists/roster';
import type { ActivityDeps } from './deps';
import { SPAWNER_PROMPT, spawnerMessage } from './god-prompts';
import type { ProposeSpecialistInput, ProposeSpecialistResult } from './god-types';
import { heartbeatWhile } from './heartbeat';

const MAX_EXAMPLES = 10;
const EXAMPLE_CHARS = 300;

export type SpecialistDefinition = SpawnedSpecialist['definition'];

/**
 * Judges a proposed specialist exactly like a roster file (the schema, a priced model its provider
 * serves, a system prompt within the token limit) plus what a spawned one needs: a name nobody
 * has, at least one keyword (or no task could ever be routed to it), and never the fallback,
 * whatever the model said. Every problem is reported, each naming its field. Pure.
 */
export function checkProposal(raw: Record<string, unknown>, taken: (name: string) => boolean): { definition?: SpecialistDefinition; reasons: string[] } {
  const parsed = SpecialistSchema.safeParse({ ...raw, fallback: false });
  if (!parsed.success) {
    return { reasons: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
  }
  const s = parsed.data;
  const reasons = specialistProblems(s).map((p) => `${p.field}: ${p.message}`);
  if (taken(s.name)) reasons.push(`name: "${s.name}" is already a specialist`);
  if (s.keywords.length === 0) reasons.push('keywords: at least one is needed, or no task can be routed to it');
  if (reasons.length) return { reasons };
  const definition: SpecialistDefinition = {
    name: s.name,
    description: s.description,
    provider: s.provider,
    model: s.model,
    keywords: [...new Set(s.keywords.map((k) => k.toLowerCase()))],
    system_prompt: s.system_prompt,
    expected_duration_minutes: s.expected_duration_minutes,
    max_output_tokens: s.max_output_tokens,
  };
  return { definition, reasons: [] };
}

/**
 * Asks a cheap model to define a specialist for a kind of task that keeps falling back, and
 * validates the answer (see {@link checkProposal}). The call is paid by the experimental lane. An
 * invalid definition is an answer, not a failure: it comes back `ok: false` with its reasons (and
 * its cost), and God decides what to do; only an answer that is not JSON at all is retried.
 */
export function createProposeSpecialist({ llm, models, roster }: Pick<ActivityDeps, 'llm' | 'models' | 'roster'>) {
  return async function proposeSpecialist(input: ProposeSpecialistInput): Promise<ProposeSpecialistResult> {
    const ctx = Context.current();
    await roster.refresh?.();
    const examples = input.examples.slice(0, MAX_EXAMPLES).map((e) => e.slice(0, EXAMPLE_CHARS));
    const kind = spawnKind(input.kind, examples);
    const existing = [...new Set([...input.existing, ...roster.specialists.map((s) => s.name)])];
    const call = llm.complete(
      {
        ...models.spawner,
        system: SPAWNER_PROMPT,
        messages: [{ role: 'user', content: spawnerMessage({ kind, examples, existing }) }],
        json: true,
        purpose: 'spawner',
        taskId: input.callId,
        lineage: { rootTaskId: input.godId ?? input.callId, spawnDepth: 0 },
        lane: 'experimental',
      },
      ctx.cancellationSignal,
    );
    const answer = await heartbeatWhile(call, () => ({ callId: input.callId, phase: 'proposing' }));
    const tokens = totalTokens(answer.usage);
    const raw = parseStructured(answer, SpawnerAnswer, 'spawner');
    const takenNames = new Set(existing);
    // The roster's get also knows retired spawned specialists: a name is never reused.
    const { definition, reasons } = checkProposal(raw, (name) => takenNames.has(name) || roster.get(name) !== undefined);
    log.info('specialist proposed', { callId: input.callId, kind, ok: !!definition, name: definition?.name ?? String(raw.name).slice(0, 80), reasons, costUsd: answer.costUsd });
    return definition ? { ok: true, definition, reasons: [], kind, costUsd: answer.costUsd, tokens } : { ok: false, reasons, kind, costUsd: answer.costUsd, tokens };
  };
}
