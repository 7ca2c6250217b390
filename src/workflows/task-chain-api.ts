import { defineQuery } from '@temporalio/workflow';
import type { ChainState } from '../tasks/chain';

/** `temporal workflow query --type state` on a taskChain answers with its {@link ChainState}. */
export const chainStateQuery = defineQuery<ChainState>('state');

export const TASK_CHAIN_TYPE = 'taskChain';
