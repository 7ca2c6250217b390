import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import { NON_RETRYABLE_TYPES } from '../errors';
import { PRESET_INITIAL_INTERVAL_MS, PRESET_MAXIMUM_INTERVAL_MS, type RetryableActivity, type RetryOverride } from '../tasks/task-input';

/**
 * Timeout and retry presets, one per activity. Every policy is bounded (default: 1 s initial,
 * ×2 backoff, 60 s maximum, 5 attempts); non-retryable failure types are listed too, so even an
 * untyped throw of one cannot loop. A task may tune them per activity (its `retry` field).
 */
const backoff: RetryPolicy = {
  initialInterval: PRESET_INITIAL_INTERVAL_MS,
  backoffCoefficient: 2,
  maximumInterval: PRESET_MAXIMUM_INTERVAL_MS,
  maximumAttempts: 5,
  nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
};

/** validateTask's attempts: see its preset. */
export const VALIDATE_ATTEMPTS = 12;

export type PresetActivity = RetryableActivity | 'raiseAlert' | 'closeTaskBill' | 'recordLesson' | 'recallForRun' | 'checkChainPlan';

export const ACTIVITY_OPTIONS: Record<PresetActivity, ActivityOptions> = {
  // Room for God's constraints query and, when the rules are unsure, one cheap model call. Its
  // retryable failures are God not answering for the constraints (the model call's failures are
  // outcomes): 12 attempts wait out a God worker's restart of about 7 minutes (1 s, 2 s … 60 s
  // apart, 5 s of query deadline each) instead of dead-lettering every task validated meanwhile.
  validateTask: { startToCloseTimeout: '1m', retry: { ...backoff, maximumAttempts: VALIDATE_ATTEMPTS } },
  routeTask: { startToCloseTimeout: '2m', retry: backoff },
  // Long: many LLM calls. The heartbeat timeout lets a dead worker's run move on within seconds.
  runSpecialist: { startToCloseTimeout: '30m', heartbeatTimeout: '15s', retry: backoff },
  compressContext: { startToCloseTimeout: '3m', heartbeatTimeout: '15s', retry: backoff },
  storeMemory: { startToCloseTimeout: '30s', retry: backoff },
  // Memory informs a run but never holds it up for long: a few quick tries, then the run goes
  // ahead with what routing recalled.
  recallForRun: { startToCloseTimeout: '30s', retry: { ...backoff, maximumAttempts: 3 } },
  raiseAlert: { startToCloseTimeout: '30s', retry: { ...backoff, maximumAttempts: 3 } },
  closeTaskBill: { startToCloseTimeout: '30s', retry: { ...backoff, maximumAttempts: 3 } },
  // A lesson is worth a few tries, never a task's end or its next specialist's start.
  recordLesson: { startToCloseTimeout: '30s', retry: { ...backoff, maximumAttempts: 3 } },
  // A roster look-up; its only retryable failure is a roster that cannot be refreshed for now.
  checkChainPlan: { startToCloseTimeout: '30s', retry: backoff },
};

/** The preset with a task's overrides applied. */
export function optionsFor(activity: PresetActivity, override?: RetryOverride): ActivityOptions {
  const preset = ACTIVITY_OPTIONS[activity];
  if (!override) return preset;
  return {
    ...preset,
    retry: {
      ...preset.retry,
      ...(override.initialIntervalMs !== undefined && { initialInterval: override.initialIntervalMs }),
      ...(override.maximumIntervalMs !== undefined && { maximumInterval: override.maximumIntervalMs }),
      ...(override.maximumAttempts !== undefined && { maximumAttempts: override.maximumAttempts }),
    },
  };
}
