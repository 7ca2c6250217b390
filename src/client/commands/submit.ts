import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import fs from 'node:fs';
import { parseArgs } from '../parse-args';
import { loadConfig, type PantheonConfig } from '../../config/env';
import { PantheonError } from '../../errors';
import { loadRoster, type Roster } from '../../specialists/roster';
import { closedResult } from '../../tasks/closed-outcome';
import { taskIdProblem } from '../../tasks/task-id';
import { connectClient, workflowUrl } from '../connection';
import { printOutcome } from '../format';
import { exitForOutcome, sayTaskGoesOnWhenInterrupted } from '../exit';
import { findGod, godQuery, type GodSession } from '../god-client';
import { godDecisionsQuery, godQueueQuery, godRosterQuery } from '../../workflows/god-api';
import { whyNotRun } from '../god-view';
import { godKeepsId } from '../god-known';
import { submitToGod } from '../submit-god';
import { waitShowingRetries } from '../retry-progress';
import { checkedLineage, checkTask, lineageUnder, startTask, unknownSpecialistError } from '../submit-task';
import { TaskStatus } from '../../workflows/search-attributes';
import type { TaskState } from '../../workflows/task-state';
import type { ChainState } from '../../tasks/chain';

export const SUBMIT_USAGE = `pantheon submit "<objective>" [options]
  --specialist NAME     route to this specialist (see agents/, or one God spawned: pantheon god
                        specialists; with --direct, a live one)
  --priority P          low | normal | high | critical (default normal)
  --context TEXT        background the specialist needs
  --constraint TEXT     a constraint (repeatable)
  --input KEY=VALUE     a named input (repeatable); --requires KEY makes it mandatory
  --requires KEY        an input the task cannot start without (repeatable)
  --json FILE|-         the whole task as JSON (fields as in the README), instead of the above
  --id ID               the workflow id (default task-<uuid>); an id is used once: submitting it
                        again starts nothing and (with --wait) waits for the task it names
  --parent TASK_ID      start it as a subtask of TASK_ID (same root, one level deeper; the budget's
                        max_spawn_depth applies)
  --wait                wait for the end and print the result, status and cost
                        (exit 2 if the task ended without completing)
  --direct              start the agentTask directly even when God runs (default: while God runs,
                        the task goes to God, which decides its route and when it runs)`;

/** The file's text; a missing file, a directory or an unreadable one is refused naming the flag. */
function readSource(source: string): string {
  try {
    return source === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(source, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a JSON file' : code === 'EACCES' ? 'not readable (permission denied)' : (err as Error).message;
    throw PantheonError.of('invalid_input', `--json ${source}: ${why}`, { details: { field: '--json', ...(code ? { code } : {}) } });
  }
}

function readJson(source: string): unknown {
  const text = readSource(source);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw PantheonError.of('invalid_input', `--json ${source}: not valid JSON (${(err as Error).message})`, { details: { field: '--json' } });
  }
}

function parseInputs(pairs: string[]): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw PantheonError.of('invalid_input', `--input "${pair}": expected KEY=VALUE`, { details: { field: '--input' } });
    inputs[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return inputs;
}

/** The flags that set a field of the task (with --json, the file sets them), and the field each sets. */
const FIELD_OF_FLAG = {
  specialist: 'specialist',
  priority: 'priority',
  context: 'context',
  constraint: 'constraints',
  input: 'inputs',
  requires: 'requires',
} as const;

/** Builds the raw task from the command line; the schema judges it, not this function. */
export function taskFromArgs(argv: string[]): { raw: unknown; wait: boolean; id?: string; parent?: string; direct: boolean } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      specialist: { type: 'string' },
      priority: { type: 'string' },
      context: { type: 'string' },
      constraint: { type: 'string', multiple: true },
      input: { type: 'string', multiple: true },
      requires: { type: 'string', multiple: true },
      json: { type: 'string' },
      id: { type: 'string' },
      parent: { type: 'string' },
      wait: { type: 'boolean', default: false },
      direct: { type: 'boolean', default: false },
    },
  });
  const direct = values.direct ?? false;
  if (values.id !== undefined) {
    const problem = taskIdProblem(values.id);
    if (problem) throw PantheonError.of('invalid_input', `--id ${JSON.stringify(values.id.length > 60 ? `${values.id.slice(0, 60)}…` : values.id)}: ${problem}`, { details: { field: '--id' } });
  }
  if (values.json !== undefined) {
    if (positionals.length) throw PantheonError.of('invalid_input', 'give the objective either as an argument or in --json, not both', { details: { field: 'objective' } });
    // The task is the file's: a flag that would set one of its fields is refused, not dropped.
    const field = (Object.keys(FIELD_OF_FLAG) as (keyof typeof FIELD_OF_FLAG)[]).find((flag) => values[flag] !== undefined);
    if (field) throw PantheonError.of('invalid_input', `--${field}: the task comes from --json; set its ${FIELD_OF_FLAG[field]} there, not as a flag`, { details: { field: `--${field}` } });
    return { raw: readJson(values.json), wait: values.wait ?? false, id: values.id, parent: values.parent, direct };
  }
  if (positionals.length !== 1) {
    throw PantheonError.of('invalid_input', `objective: expected one quoted objective, got ${positionals.length} arguments\n${SUBMIT_USAGE}`, { details: { field: 'objective' } });
  }
  const raw: Record<string, unknown> = { objective: positionals[0] };
  if (values.specialist !== undefined) raw.specialist = values.specialist;
  if (values.priority !== undefined) raw.priority = values.priority;
  if (values.context !== undefined) raw.context = values.context;
  if (values.constraint) raw.constraints = values.constraint;
  if (values.input) raw.inputs = parseInputs(values.input);
  if (values.requires) raw.requires = values.requires;
  return { raw, wait: values.wait ?? false, id: values.id, parent: values.parent, direct };
}

/** Task fields God and chains set on the tasks they start: a submitter who sets them pretends to be one. */
const STARTER_FIELDS = ['reportTo', 'goalId', 'routing', 'pick'] as const;

export async function submitCommand(argv: string[]): Promise<void> {
  const config = loadConfig();
  const { raw, wait, id, parent, direct } = taskFromArgs(argv);
  const set = typeof raw === 'object' && raw !== null ? STARTER_FIELDS.find((field) => field in raw) : undefined;
  if (set) throw PantheonError.of('invalid_input', `invalid task: ${set}: set by God (and chains) on the tasks they start, not by a submit`, { details: { field: set } });
  const roster = loadRoster(config.rosterDir);
  // A specialist God spawned is not in agents/: it is checked against God's roster below (with
  // --direct too: a live one runs a direct task as any worker's router would pick it).
  const spawnedName = notOnRoster(raw, roster);
  const task = checkTask(spawnedName === undefined ? raw : { ...(raw as object), specialist: undefined }, roster);
  if (spawnedName !== undefined) task.specialist = spawnedName;
  if (parent !== undefined && task.lineage) {
    throw PantheonError.of('invalid_input', '--parent: the task already names its lineage; give one or the other', { details: { field: '--parent' } });
  }
  const { client, close } = await connectClient(config).catch((err: unknown) => {
    // Without Temporal, God's roster cannot be asked: the name is as unknown as agents/ says.
    if (spawnedName !== undefined) throw unknownSpecialistError(spawnedName, roster.specialists.map((s) => s.name), `God's spawned specialists could not be read: ${err instanceof Error ? err.message : String(err)}`);
    throw err;
  });
  try {
    if (parent !== undefined) task.lineage = await lineageUnder(client, parent);
    else if (task.lineage) await checkedLineage(client, task.lineage);
    // An id that names another kind of workflow is refused here too: God would only drop it.
    if (id !== undefined && !direct) await refuseNonTaskId(client, id);
    if (id !== undefined && direct) await refuseIdGodHolds(client, config, id);
    const { god } = direct ? { god: undefined } : await findGod(client, config);
    if (spawnedName !== undefined) await checkSpawned(direct ? await godIfRunning(client, config) : god, spawnedName, roster, { direct, godId: config.god.id });
    if (god) {
      await submitToGod(god, config, task, { taskId: id, wait });
      return;
    }
    let handle;
    try {
      handle = await startTask(client, config.temporal.taskQueue, task, id);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError) || id === undefined) throw err;
      await reportExisting(client, config, id, wait);
      return;
    }
    // Before the first line: a Ctrl-C that follows what it says finds the handler there.
    if (wait) sayTaskGoesOnWhenInterrupted(handle.workflowId);
    console.log(`started ${handle.workflowId}${direct ? '' : ` (God "${config.god.id}" is not running: started directly)`}`);
    console.log(`web ui  ${workflowUrl(config, handle.workflowId)}`);
    if (wait) printWaited((await waitShowingRetries(client, handle.workflowId, closedResult(handle))) as TaskState | ChainState);
  } finally {
    await close();
  }
}

/** How long a --direct start waits for God to say whether it holds the id: it goes around God. */
const DIRECT_GOD_CHECK_MS = 3_000;

/**
 * `--direct --id X` where God holds X without having started it (queued, in review) or refused it
 * without a workflow (rejected in review, dropped, also once that decision is older than the ones
 * God keeps): the start would run what God has not let run, beside God's own start of it later.
 * Refused naming --id. A God that is not running or does not answer at once is no reason to hold
 * a direct start back.
 */
async function refuseIdGodHolds(client: Client, config: PantheonConfig, id: string): Promise<void> {
  const found = await findGod(client, config).catch(() => undefined);
  const god = found?.god;
  if (!god) return;
  const asked = <T>(body: () => Promise<T>) => client.withDeadline(Date.now() + DIRECT_GOD_CHECK_MS, body).catch(() => undefined);
  const answer = await asked(() => Promise.all([godQuery(god, godQueueQuery), godQuery(god, godDecisionsQuery)]));
  if (!answer) return;
  const [queue, decisions] = answer;
  const held = queue.find((q) => q.taskId === id);
  const notRun = held ? undefined : whyNotRun(decisions.filter((d) => d.taskId === id));
  const why = held ? `God holds "${id}" (${held.status.replace(/_/g, ' ')}) and has not started it` : notRun ? `God did not run "${id}": ${notRun}` : await keptWithoutWorkflow(client, god, id, asked);
  if (!why) return;
  throw PantheonError.of('invalid_input', `--id: ${why}; a direct start would run it anyway. ${held ? `Withdraw it from God first (pantheon review reject ${id}), or give` : 'Give'} the task another id to run it directly`, {
    details: { field: '--id', taskId: id },
  });
}

/**
 * Why a direct start of `id` is refused when God keeps it among the ids it finished or dropped,
 * and no workflow has it. One that has a workflow is left to the start, whose duplicate check
 * says what the id names (as for any id used before).
 */
async function keptWithoutWorkflow(client: Client, god: GodSession, id: string, asked: <T>(body: () => Promise<T>) => Promise<T | undefined>): Promise<string | undefined> {
  if (!(await asked(() => godKeepsId(god, id)))) return undefined;
  const noWorkflow = await client.workflow
    .getHandle(id)
    .describe()
    .then(
      () => false,
      (err: unknown) => err instanceof WorkflowNotFoundError,
    );
  return noWorkflow ? `God finished or dropped "${id}" and will not start it again` : undefined;
}

/** The specialist the raw task names when agents/ does not hold it (a name God may have spawned). */
function notOnRoster(raw: unknown, roster: Roster): string | undefined {
  const name = typeof raw === 'object' && raw !== null ? (raw as { specialist?: unknown }).specialist : undefined;
  return typeof name === 'string' && name.length > 0 && !roster.get(name) ? name : undefined;
}

/**
 * A specialist named that agents/ does not hold must be one God spawned and has not retired. With
 * `direct`, a live one: a specialist on trial runs only the tasks God sends it (reviewed, paid by
 * the experimental lane, counted in its trial), so a direct start of one is refused saying so.
 */
async function checkSpawned(god: GodSession | undefined, name: string, roster: Roster, { direct, godId }: { direct: boolean; godId: string }): Promise<void> {
  const spawned = god ? (await godQuery(god, godRosterQuery)).specialists.filter((s) => s.status !== 'retired') : [];
  const found = spawned.find((s) => s.name === name);
  if (found && direct && found.status === 'trial') {
    throw PantheonError.of(
      'invalid_input',
      `--specialist ${name}: on trial (God spawned it); its runs go through God, reviewed and paid by the experimental lane, so --direct cannot start one: submit without --direct, or wait until it is live (pantheon god specialists)`,
      { details: { field: 'specialist', status: found.status } },
    );
  }
  if (found) return;
  const note = god ? undefined : `God "${godId}" is not running to say which specialists it spawned`;
  throw unknownSpecialistError(name, [...roster.specialists.map((s) => s.name), ...spawned.map((s) => `${s.name} (spawned)`)], note);
}

/** God's session when it runs; a direct start does not need God, so one that cannot be found is none. */
async function godIfRunning(client: Client, config: PantheonConfig): Promise<GodSession | undefined> {
  return (await findGod(client, config).catch(() => undefined))?.god;
}

/** A waited-for task's outcome, and the exit code that says whether it completed. */
function printWaited(outcome: TaskState | ChainState): void {
  printOutcome(outcome);
  exitForOutcome(outcome.status);
}

/** Refuses an --id that names a workflow other than a task or a chain (God, the ledger), naming --id. */
async function refuseNonTaskId(client: Client, id: string): Promise<void> {
  const description = await client.workflow
    .getHandle(id)
    .describe()
    .catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    });
  if (description && !namesATask(description.type)) throw notATask(id, description.type);
}

const namesATask = (type: string) => type === 'agentTask' || type === 'taskChain';

function notATask(id: string, type: string): PantheonError {
  return PantheonError.of('invalid_input', `--id ${id}: already names a ${type} workflow, not a task; give another id`, { details: { field: '--id' } });
}

/**
 * The id was used before (a retried submit, say): nothing new starts, the command says what the
 * id names and, with --wait, waits for that task as if it had started it.
 */
async function reportExisting(client: Client, config: ReturnType<typeof loadConfig>, id: string, wait: boolean): Promise<void> {
  const handle = client.workflow.getHandle(id);
  const description = await handle.describe();
  if (!namesATask(description.type)) throw notATask(id, description.type);
  if (wait) sayTaskGoesOnWhenInterrupted(id);
  const status = description.typedSearchAttributes.get(TaskStatus) ?? description.status.name.toLowerCase();
  console.log(`task ${id} already exists (${status}, started ${description.startTime.toISOString()}); nothing new was started`);
  console.log(`  an id runs once: give another --id to run the task again${status === 'dead_lettered' ? ` (or: pantheon dlq redrive ${id})` : ''}`);
  console.log(`web ui  ${workflowUrl(config, id)}`);
  if (wait) printWaited((await waitShowingRetries(client, id, closedResult(handle))) as TaskState | ChainState);
}
