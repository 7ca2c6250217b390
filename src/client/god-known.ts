import { STATE_BOUNDS } from '../god/state';
import { godCarriedStateQuery } from '../workflows/god-api';
import { godQuery, type GodSession } from './god-client';

/**
 * God's word on an id that it neither holds in its queue nor names in its newest decisions: God
 * keeps the ids of the tasks it finished or dropped (`finishedIds`, the newest 300) well past its
 * decision log (the newest 50), and will not start such an id again. A client that read only the
 * decisions took a task rejected in review 50 decisions ago for one God never had.
 *
 * Read from the `carriedState` query: the only one that carries the ids, and asked only when the
 * queue and the decisions said nothing (it is the whole state, up to a few hundred KB).
 */

/** What `status` and `submit --direct` say of such a task (a finished one whose workflow is gone, too). */
export const FINISHED_OR_DROPPED = 'finished or dropped by God';

/** The line `status` prints under it: why God's decisions do not show it. */
export const KEPT_ID_LINE = `decision    older than the newest ${STATE_BOUNDS.recent} God keeps; God keeps the ids of the ${STATE_BOUNDS.finishedIds} tasks it finished or dropped last, and starts none of them again`;

/**
 * Whether God keeps `taskId` among the ids it finished or dropped. A task in flight is not asked
 * after: God started it, so its workflow exists and speaks for it.
 */
export async function godKeepsId(god: GodSession, taskId: string): Promise<boolean> {
  const state = await godQuery(god, godCarriedStateQuery);
  return state.finishedIds?.includes(taskId) ?? false;
}
