import { parseArgs, positiveInteger } from '../parse-args';
import { loadConfig } from '../../config/env';
import { PantheonError } from '../../errors';
import { connectClient } from '../connection';
import { formatUsd } from '../format';
import { loadRoster } from '../../specialists/roster';
import { taskRow } from '../tasks';
import { listWithoutMemos } from '../list-workflows';
import { latestRunsOf } from '../latest-runs';
import { LISTABLE_STATUSES as STATUSES, statusClause } from '../listed-status';

export const LIST_USAGE = 'pantheon list [--status S] [--specialist NAME] [--limit N]';

/** Lists recent tasks and chains in visibility's order (running first, then the most recently
 * closed), each once by its latest run, optionally by Pantheon status or specialist. */
export async function listCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { status: { type: 'string' }, specialist: { type: 'string' }, limit: { type: 'string', default: '20' } },
  });
  const limit = positiveInteger(values.limit, '--limit');
  const quote = (v: string, field: string) => {
    if (!/^[A-Za-z0-9_-]+$/.test(v)) throw PantheonError.of('invalid_input', `${field}: "${v}" may hold only letters, digits, _ and -`, { details: { field } });
    return `'${v}'`;
  };
  // Chains are tasks too (their steps are listed as well, as `<chain>:step-N`).
  const clauses = ["WorkflowType IN ('agentTask', 'taskChain')"];
  if (values.status !== undefined && !STATUSES.includes(values.status)) {
    throw PantheonError.of('invalid_input', `--status: "${values.status}" is no task status; one of ${STATUSES.join(', ')}`, { details: { field: '--status' } });
  }
  // PantheonStatus keeps its last value when a task's workflow is terminated: `running` alone would list it.
  if (values.status !== undefined) clauses.push(statusClause(values.status));
  // An empty value (an unset shell variable) is refused like any other bad name, not ignored (which listed every task).
  if (values.specialist !== undefined) clauses.push(`PantheonSpecialist = ${quote(values.specialist, '--specialist')}`);
  const config = loadConfig();
  const { client, close } = await connectClient(config);
  try {
    // One row per task, by its latest run (a reset task's old run is not the task any more).
    const rows = (await latestRunsOf(client, listWithoutMemos(client, clauses.join(' AND '), limit), limit)).map(taskRow);
    // Columns as wide as their longest entry: ids (a God task's, a chain's step) and statuses
    // (budget_exceeded) run longer than any fixed width.
    const width = (pick: (row: (typeof rows)[number]) => string, least: number) => Math.max(least, ...rows.map((row) => pick(row).length));
    const [idW, statusW, specialistW] = [width((r) => r.id, 0), width((r) => r.status, 14), width((r) => r.specialist, 16)];
    for (const row of rows) {
      console.log(`${row.id.padEnd(idW)}  ${row.status.padEnd(statusW)}  ${row.specialist.padEnd(specialistW)} ${formatUsd(row.cost).padStart(10)}  ${row.started.toISOString()}`);
    }
    if (rows.length === 0) {
      // A typo finds nothing, as a name no task ran on does: say which it may be.
      const unknown = values.specialist !== undefined && !loadRoster(config.rosterDir).get(values.specialist);
      console.log(unknown ? `no tasks match (no specialist "${values.specialist}" in ${config.rosterDir}: a typo, or one God spawned: pantheon god specialists)` : 'no tasks match');
    }
  } finally {
    await close();
  }
}
