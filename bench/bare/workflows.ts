import { proxyActivities } from '@temporalio/workflow';
import type { BareActivities } from './activities';
import type { BareStep } from './plan';

/**
 * The engine's floor for one pipeline task: its activities, one after another, each only waiting.
 * No search attributes, queries, signals or state: what Temporal itself costs per task. Bundled
 * by the benchmark on its own; the production bundle (src/workflows) does not include it.
 */

const { bareStep } = proxyActivities<BareActivities>({
  startToCloseTimeout: '10m',
  // A failure is the benchmark's failure: surface it, do not hide it behind retries.
  retry: { maximumAttempts: 1 },
});

export async function bareTask(steps: BareStep[]): Promise<number> {
  for (const step of steps) await bareStep(step);
  return steps.length;
}
