import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RoutedOutcome as RoutedOutcomeInput } from '../god/messages';
import type { GoalInput, ReviewDecisionInput, SetExperimentalShareInput, SubmitTaskInput, SubmitTaskResult } from '../god/messages';
import type { DecisionRecord, GodConfig, GodCounters, GodState, GoalState, SpawnedSpecialist, TaskFinished } from '../god/types';
import type { Lane } from '../tasks/task-input';
import type { LaneView, QueueItemView, RunwayView } from '../god/views';
import type { PolicyAuditEntry, Probation, RoutingPolicy, TrialTally } from '../routing/policy/types';
import type { AddConstraintInput, RemoveConstraintInput, StandingConstraint } from '../constraints/schema';

/** God's views are defined with the logic that computes them (src/god/views.ts); clients read them here. */
export type { LaneView, QueueItemView, RunwayView };

/**
 * The God workflow's handlers, as the CLI, the Temporal CLI and child tasks call them:
 *
 *   temporal workflow query  --workflow-id pantheon-god --type status
 *   temporal workflow update execute --workflow-id pantheon-god --name submitTask --input '{"task":{"objective":"..."}}'
 *
 * Argument shapes and their validation live in src/god/messages.ts.
 */

export const GOD_WORKFLOW_ID = 'pantheon-god';
export const GOD_WORKFLOW_TYPE = 'god';

/** A task (or chain) tells God it ended. Sent to the workflow id, so it reaches whichever run is current. */
export const taskFinishedSignal = defineSignal<[TaskFinished]>('taskFinished');

/** A directly started task routed by God's policy tells God how it ended (God learns from it). */
export const routedOutcomeSignal = defineSignal<[RoutedOutcomeInput]>('routedOutcome');

export const submitTaskUpdate = defineUpdate<SubmitTaskResult, [SubmitTaskInput]>('submitTask');
export const addGoalUpdate = defineUpdate<GoalState, [GoalInput]>('addGoal');
export const removeGoalUpdate = defineUpdate<{ removed: string }, [{ goalId: string }]>('removeGoal');
/** The argument may be left out (`temporal workflow update execute --name pause` with no input). */
export const pauseUpdate = defineUpdate<GodStatusView, [{ reason?: string; by?: string }]>('pause');
export const resumeUpdate = defineUpdate<GodStatusView, [{ reason?: string; by?: string }]>('resume');
export const reviewDecisionUpdate = defineUpdate<QueueItemView, [ReviewDecisionInput]>('reviewDecision');
export const setExperimentalShareUpdate = defineUpdate<RunwayView, [SetExperimentalShareInput]>('setExperimentalShare');

/** Standing constraints (src/constraints): every later task is checked against the active ones.
 *   temporal workflow update execute --workflow-id pantheon-god --name addConstraint \
 *     --input '{"spec":{"text":"no writes to the billing database","scope":"billing database","expiresAt":"2026-12-05"}}'
 *   temporal workflow update execute --workflow-id pantheon-god --name removeConstraint --input '{"id":"c-12"}'
 *   temporal workflow query --workflow-id pantheon-god --type constraints */
export const addConstraintUpdate = defineUpdate<{ constraint: StandingConstraint; added: boolean }, [AddConstraintInput]>('addConstraint');
export const removeConstraintUpdate = defineUpdate<{ removed: StandingConstraint }, [RemoveConstraintInput]>('removeConstraint');
/** The active standing constraints (expired ones are not listed). */
export const godConstraintsQuery = defineQuery<StandingConstraint[]>('constraints');

export const godStatusQuery = defineQuery<GodStatusView>('status');
export const godQueueQuery = defineQuery<QueueItemView[]>('queue');
export const godGoalsQuery = defineQuery<GoalState[]>('goals');
export const godReviewsQuery = defineQuery<QueueItemView[]>('reviews');
export const godRunwayQuery = defineQuery<RunwayView>('runway');
/** Spawned specialists (every status) and the roster version: what workers merge into their roster. */
export const godRosterQuery = defineQuery<{ version: number; specialists: SpawnedSpecialist[] }>('roster');
/** The whole state God would carry through continue-as-new. A run that was killed (terminated,
 * failed) still answers it from its history, so its successor resumes where it stopped. */
export const godCarriedStateQuery = defineQuery<GodState>('carriedState');
/** The settings this run runs with, defaults filled in (its start input's `config`; God does not
 * change them while it runs):
 *   temporal workflow query --workflow-id pantheon-god --type settings */
export const godSettingsQuery = defineQuery<GodConfig>('settings');
/** The newest decisions, oldest first. */
export const godDecisionsQuery = defineQuery<DecisionRecord[]>('decisions');

/** The routing policy (src/routing/policy), learned and versioned:
 *   temporal workflow query  --workflow-id pantheon-god --type routingPolicy
 *   temporal workflow query  --workflow-id pantheon-god --type routingHistory
 *   temporal workflow update execute --workflow-id pantheon-god --name routingRollback \
 *     --input '{"version":1,"reason":"v2 sends SQL tasks to the generalist","by":"alice"}' */
export const routingPolicyQuery = defineQuery<RoutingPolicyView>('routingPolicy');
export const routingHistoryQuery = defineQuery<RoutingHistoryView>('routingHistory');
export const routingRollbackUpdate = defineUpdate<RoutingPolicyView, [RoutingRollbackInput]>('routingRollback');

export interface RoutingRollbackInput {
  version: number;
  reason: string;
  by?: string;
}

/** What `pantheon routing show` prints: the active policy whole (workers route with it), the
 * candidate on trial and the version on probation, and how long a worker may cache it. */
export interface RoutingPolicyView {
  active: RoutingPolicy;
  candidate?: { version: number; reason: string; canary: TrialTally; control: TrialTally; shadow: TrialTally; shadowControl: TrialTally; startedAtMs: number; policy: RoutingPolicy };
  probation?: Probation;
  sinceRewrite: number;
  lastVersion: number;
  /** God's tick: a worker uses a read of this policy at most this long. */
  tickSeconds: number;
}

/** Every kept version (rules and settings; arm statistics are the active one's) and the audit. */
export interface RoutingHistoryView {
  active: number;
  versions: Array<Omit<RoutingPolicy, 'arms'> & { status: 'active' | 'candidate' | 'earlier' }>;
  audit: PolicyAuditEntry[];
}

export interface GodStatusView {
  workflowId: string;
  runId: string;
  stateVersion: number;
  paused?: { reason: string; sinceMs: number; by?: string };
  queued: number;
  awaitingReview: number;
  inFlight: number;
  goals: number;
  liveSpawned: number;
  /** The routing policy's active version, and any candidate on trial or version on probation. */
  routing?: { version: number; candidate?: number; probation?: number };
  counters: GodCounters;
  runway?: RunwayView;
  /** Lanes the last admission held for a task queued past holdAfterMinutes (lane → task id). */
  held?: Partial<Record<Lane, string>>;
  stateBytes: number;
  historyLength: number;
  /** The history's size in bytes (God continues as new at `continueAsNewBytes`). Absent from Gods of before. */
  historyBytes?: number;
  lastTickMs?: number;
}
