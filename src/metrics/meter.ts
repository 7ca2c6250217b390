import { Context } from '@temporalio/activity';
import { noopMetricMeter, type MetricMeter } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';

/**
 * The meter for a metric recorded outside workflow code: the activity's (it adds namespace, task
 * queue and activity type) inside an activity, else the Runtime's when this process has one. A
 * process without a Runtime (the CLI) records nothing rather than creating one as a side effect.
 */
export function currentMeter(): MetricMeter {
  try {
    return Context.current().metricMeter;
  } catch {
    // Not in an activity (a ledger settle finishing after its activity, a CLI command).
  }
  return runtimeMeter();
}

/** The Runtime's own meter (no activity tags), or a no-op one when this process has no Runtime. */
export function runtimeMeter(): MetricMeter {
  return Runtime._instance?.metricMeter ?? noopMetricMeter;
}
