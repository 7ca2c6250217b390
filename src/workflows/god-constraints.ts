import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { addConstraint, addRefusal, removeConstraint } from '../constraints/registry';
import { activeConstraints, AddConstraintSchema, describeSetter, RemoveConstraintSchema } from '../constraints/schema';
import type { DecisionRecord, GodState } from '../god/types';
import { describeIssues } from '../tasks/task-input';
import { addConstraintUpdate, godConstraintsQuery, removeConstraintUpdate } from './god-api';

/**
 * God's standing-constraint handlers: `addConstraint` and `removeConstraint` (each checked by a
 * validator, each an audit line in God's decisions) and the `constraints` query the validate
 * activity reads. Registered by the God workflow before its first await; no commands.
 */

export interface ConstraintHandlerContext {
  state(): GodState;
  record(kind: DecisionRecord['kind'], detail: string, taskId?: string): void;
}

function refuse(message: string): never {
  throw ApplicationFailure.create({ type: 'invalid_input', message, nonRetryable: true });
}

/** Registers the constraints a goal sets (ids `goal:<id>:c<n>`), as the addConstraint update would. */
export function registerGoalConstraints(ctx: ConstraintHandlerContext, goalId: string, specs: unknown[] | undefined): void {
  (specs ?? []).forEach((spec, i) => {
    const input = AddConstraintSchema.safeParse({ id: `goal:${goalId}:c${i}`, spec, setBy: { kind: 'goal', id: goalId } });
    if (!input.success || addRefusal(ctx.state().constraints, input.data, Date.now())) return;
    const state = ctx.state();
    const out = addConstraint(state.constraints, input.data, input.data.id!, Date.now());
    state.constraints = out.list;
    if (out.added) ctx.record('constraint', `added ${describeSetter(out.constraint)}: "${out.constraint.text}"`);
  });
}

export function installConstraintHandlers(ctx: ConstraintHandlerContext): void {
  setHandler(
    addConstraintUpdate,
    (raw) => {
      const state = ctx.state();
      const input = AddConstraintSchema.parse(raw);
      state.seq += 1;
      const out = addConstraint(state.constraints, input, `c-${state.seq}`, Date.now());
      state.constraints = out.list;
      if (out.added) {
        const c = out.constraint;
        const until = c.expiresAtMs === undefined ? 'until removed' : `until ${new Date(c.expiresAtMs).toISOString()}`;
        ctx.record('constraint', `added ${describeSetter(c)}: "${c.text}"${c.scope ? ` (scope: ${c.scope})` : ''} ${until}`, c.setBy.kind === 'task' ? c.setBy.id : undefined);
      }
      return { constraint: out.constraint, added: out.added };
    },
    {
      validator: (raw) => {
        const result = AddConstraintSchema.safeParse(raw);
        if (!result.success) refuse(`addConstraint: ${describeIssues(result.error).join('; ')}`);
        const why = addRefusal(ctx.state().constraints, result.data, Date.now());
        if (why) refuse(`addConstraint: ${why}`);
      },
    },
  );
  setHandler(
    removeConstraintUpdate,
    (raw) => {
      const state = ctx.state();
      const input = RemoveConstraintSchema.parse(raw);
      const out = removeConstraint(state.constraints, input.id);
      state.constraints = out.list;
      ctx.record('constraint', `removed ${describeSetter(out.removed!)} by ${input.by}: ${input.reason}`);
      return { removed: out.removed! };
    },
    {
      validator: (raw) => {
        const result = RemoveConstraintSchema.safeParse(raw);
        if (!result.success) refuse(`removeConstraint: ${describeIssues(result.error).join('; ')}`);
        const list = ctx.state().constraints;
        if (!list.some((c) => c.id === result.data.id)) refuse(`removeConstraint: id: no constraint "${result.data.id}" (held: ${list.map((c) => c.id).join(', ') || 'none'})`);
      },
    },
  );
  setHandler(godConstraintsQuery, () => activeConstraints(ctx.state().constraints, Date.now()));
}
