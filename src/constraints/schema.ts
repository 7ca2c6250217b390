import { z } from 'zod';
import { lazySchema } from '../tasks/lazy-schema';
import { stripControl } from '../tasks/control-chars';
import { realCalendarDate } from '../tasks/calendar-date';

/**
 * Standing constraints: a rule a task, a goal or an operator sets for later work ("no writes to
 * the billing database until 2026-12-05"), with a scope (what it is about) and an expiry. They
 * live in God's state; every later task is checked against the active ones. No imports beyond
 * zod: the workflow sandbox loads this through the task schema.
 */

/** At most this many constraints are held at once (expired ones are pruned first): at their longest
 * (300-character text, 120-character scope, 200-character setter) they take under 20 KB of God's
 * state, which with the queue (250 KB), in-flight tasks (40 KB) and the rest (110 KB) stays under 400 KB. */
export const MAX_CONSTRAINTS = 20;

const text = (max: number) => z.string().transform(stripControl).pipe(z.string().trim().min(3, 'must be at least 3 characters').max(max));

/** `expiresAt` as an ISO date ("2026-12-05", the end of that day UTC) or date-time. */
const IsoDate = lazySchema('constraints/schema.IsoDate', () =>
  z
    .string()
    .trim()
    .refine((s) => /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && !Number.isNaN(Date.parse(s)) && realCalendarDate(s), 'must be an ISO date (2026-12-05) or date-time, of a day that exists')
);

/** What a task declares it sets (field `setsConstraints`), and the common part of every way to add one. */
export const ConstraintSpecSchema = lazySchema('constraints/schema.ConstraintSpecSchema', () =>
  z
    .object({
      text: text(300),
      /** What it is about ("billing database", "checkout"); absent: every task. */
      scope: text(120).optional(),
      /** When it stops applying; give this or `forHours`, or neither (until removed). */
      expiresAt: IsoDate.optional(),
      forHours: z.number().gt(0).max(24 * 366).optional(),
    })
    .strict()
    .refine((c) => !(c.expiresAt && c.forHours), { message: 'give expiresAt or forHours, not both', path: ['forHours'] })
);
export type ConstraintSpec = z.output<typeof ConstraintSpecSchema>;

const id = lazySchema('constraints/schema.id', () =>
  z.string().trim().min(1).max(120).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be letters, digits, ".", "_", ":" or "-"')
);

export const SETTER_KINDS = ['task', 'goal', 'operator'] as const;

/** God's `addConstraint` update: a spec, who sets it, and optionally its id (re-adding an id is a no-op). */
export const AddConstraintSchema = lazySchema('constraints/schema.AddConstraintSchema', () =>
  z
    .object({
      spec: ConstraintSpecSchema,
      setBy: z.object({ kind: z.enum(SETTER_KINDS), id: z.string().trim().min(1).max(200) }).strict().default({ kind: 'operator', id: 'operator' }),
      id: id.optional(),
    })
    .strict()
);
export type AddConstraintInput = z.input<typeof AddConstraintSchema>;

export const RemoveConstraintSchema = lazySchema('constraints/schema.RemoveConstraintSchema', () =>
  z
    .object({
      id,
      reason: z.string().trim().min(1).max(300).default('removed by an operator'),
      by: z.string().trim().min(1).max(80).default('operator'),
    })
    .strict()
);
export type RemoveConstraintInput = z.input<typeof RemoveConstraintSchema>;

/** A constraint as God holds it. */
export interface StandingConstraint {
  id: string;
  text: string;
  scope?: string;
  /** Workflow-clock ms after which it no longer applies; absent: until removed. */
  expiresAtMs?: number;
  setBy: { kind: (typeof SETTER_KINDS)[number]; id: string };
  addedAtMs: number;
}

export const StandingConstraintSchema = lazySchema('constraints/schema.StandingConstraintSchema', () =>
  z.looseObject({
    id: z.string().min(1),
    text: z.string().min(1),
    scope: z.string().optional(),
    expiresAtMs: z.number().nonnegative().optional(),
    setBy: z.looseObject({ kind: z.enum(SETTER_KINDS), id: z.string().min(1) }),
    addedAtMs: z.number().nonnegative(),
  })
);

/** A date alone ends at the end of that day (UTC): "until 2026-12-05" includes the 5th. */
export function expiryMs(spec: Pick<ConstraintSpec, 'expiresAt' | 'forHours'>, nowMs: number): number | undefined {
  if (spec.forHours !== undefined) return nowMs + Math.round(spec.forHours * 3_600_000);
  if (spec.expiresAt === undefined) return undefined;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(spec.expiresAt);
  return dateOnly ? Date.parse(`${spec.expiresAt}T23:59:59.999Z`) : Date.parse(spec.expiresAt);
}

export function isActive(c: Pick<StandingConstraint, 'expiresAtMs'>, nowMs: number): boolean {
  return c.expiresAtMs === undefined || c.expiresAtMs > nowMs;
}

export function activeConstraints<C extends Pick<StandingConstraint, 'expiresAtMs'>>(list: readonly C[], nowMs: number): C[] {
  return list.filter((c) => isActive(c, nowMs));
}

/** "c-3 (set by task t-1)": how a rejection names a constraint and who set it. */
export function describeSetter(c: Pick<StandingConstraint, 'id' | 'setBy'>): string {
  return `${c.id} (set by ${c.setBy.kind} ${c.setBy.id})`;
}
