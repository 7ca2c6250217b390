import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import { NON_RETRYABLE_TYPES } from '../errors';

/**
 * Timeout and retry presets, one per activity. Every policy is bounded; non-retryable failure
 * types are listed too, so even an untyped throw of one cannot loop.
 */
const backoff: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '60s',
  maximumAttempts: 5,
  nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
};

export const VALIDATE_OPTIONS = {
  startToCloseTimeout: '10s',
  retry: { ...backoff, maximumAttempts: 3 },
} as const satisfies ActivityOptions;

export const ROUTE_OPTIONS = {
  startToCloseTimeout: '2m',
  retry: backoff,
} as const satisfies ActivityOptions;

/** Long: many LLM calls. The heartbeat timeout lets a dead worker's run move on within seconds. */
export const RUN_SPECIALIST_OPTIONS = {
  startToCloseTimeout: '30m',
  heartbeatTimeout: '30s',
  retry: backoff,
} as const satisfies ActivityOptions;

export const COMPRESS_OPTIONS = {
  startToCloseTimeout: '3m',
  heartbeatTimeout: '30s',
  retry: backoff,
} as const satisfies ActivityOptions;

export const STORE_MEMORY_OPTIONS = {
  startToCloseTimeout: '30s',
  retry: backoff,
} as const satisfies ActivityOptions;
