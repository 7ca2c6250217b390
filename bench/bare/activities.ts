import { sleep } from '@temporalio/activity';
import type { BareStep } from './plan';

/** The bare workflow's only activity: waits as the pipeline's activity waited on the provider. */
export async function bareStep(step: BareStep): Promise<void> {
  // One wait per LLM call, as the pipeline's calls are sequential (each timer may overshoot by ~1 ms, like each call).
  for (const ms of step.waitsMs) await sleep(ms);
}

export const bareActivities = { bareStep };
export type BareActivities = typeof bareActivities;
