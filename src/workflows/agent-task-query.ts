import { defineQuery } from '@temporalio/workflow';
import type { TaskState } from './task-state';

/** `temporal workflow query --type state` answers with the task's current {@link TaskState}. */
export const stateQuery = defineQuery<TaskState>('state');
