import type { Client } from '@temporalio/client';
import { operatorName } from '../login-name';
import { parseArgs } from '../parse-args';
import { unknownSubcommand } from '../unknown-subcommand';
import { workflowPollers } from '../pollers';
import type { BudgetSnapshot } from '../../budget/snapshot';
import { BUDGET_LEDGER_ID, budgetQuery } from '../../budget/ledger-defs';
import { loadConfig, type PantheonConfig } from '../../config/env';
import { PantheonError } from '../../errors';
import type { GoalInput } from '../../god/messages';
import { MAX_GOALS } from '../../god/goals';
import { STATE_BOUNDS } from '../../god/state';
import {
  addGoalUpdate,
  godDecisionsQuery,
  godGoalsQuery,
  godRosterQuery,
  godQueueQuery,
  godStatusQuery,
  pauseUpdate,
  removeGoalUpdate,
  resumeUpdate,
  setExperimentalShareUpdate,
} from '../../workflows/god-api';
import { DEFAULT_TEMPORAL_ADDRESS, workflowUrl } from '../connection';
import { goalFromFlags, invalid, numberFlag, pauseFrom, removeGoalFrom, shareFrom } from '../god-args';
import { connectOrExplain, godQuery, godUpdate, withGod } from '../god-client';
import { runSettings, startGod } from '../god-start';
import { describeSettings, godSettingsFrom, settingsDifferences, type GodSettings } from '../god-settings';
import { goalLeftoverLines, pausedBy, renderDecisions, renderGoals, renderGodStatus, renderQueue, renderSpecialists, runwayLines } from '../god-view';
import { ensureGodWatchdogSchedule, watchdogScheduleId, watchdogSettings } from '../god-watchdog-schedule';
import { describeRecorded, recordedSettings, settingsOfRun } from '../god-watchdog-settings';
import { loadGoalsFile, parseGoalOrGoals, readGoalsText } from '../goals-file';

/** `pantheon god start`'s usage, and `npm run god`'s. */
export const GOD_START_USAGE = `pantheon god start [--goals FILE] [--config JSON | --config-file FILE]
                                           start God (a no-op if it runs) and its watchdog Schedule; a killed
                                           God's state is resumed, the settings given over its own (refused,
                                           exit 1, if God runs with others: they apply only at a start)`;

export const GOD_USAGE = `pantheon god status [--json]               the runway (budget, spent, reserved, remaining, burn rate,
                                           when it runs out; lanes apart), queue/review/in-flight counts, paused
pantheon god queue [--json]                every task God holds: its decision, and why it waits
pantheon god goals [--json]                the standing goals
pantheon god specialists [--json]          the specialists God spawned: on trial, live or retired, their runs
pantheon god decisions [--limit N] [--json] God's newest decisions, oldest first (default 30; God keeps its
                                           newest ${STATE_BOUNDS.recent}, older ones are in its history in the Web UI)
${GOD_START_USAGE}
pantheon god pause [--reason TEXT] [--by NAME]   stop admitting and generating (in-flight tasks go on)
pantheon god resume [--reason TEXT] [--by NAME]  (--by: recorded in God's decisions; default your login name)
pantheon god add-goal --file FILE | --objective TEXT [--id ID] [--value 1-10] [--cadence MINUTES]
                      [--share 0-1] [--lane main|experimental] [--tasks-per-run 1-5]
pantheon god remove-goal <goal-id>
pantheon god share <0..0.5> --reason TEXT [--by NAME]  the experimental lane's share of the day (audited)`;

const GOD_SUBCOMMANDS = ['status', 'queue', 'goals', 'specialists', 'decisions', 'start', 'pause', 'resume', 'add-goal', 'remove-goal', 'share'];

const json = (value: unknown) => console.log(JSON.stringify(value, null, 2));

/** How long `god status` waits for the ledger's snapshot before printing without it. */
const LEDGER_SNAPSHOT_WAIT_MS = 3_000;

/** The budget ledger's snapshot, or undefined when it does not answer in time (status still prints). */
async function ledgerSnapshot(client: Client, config: PantheonConfig): Promise<BudgetSnapshot | undefined> {
  const ledgerId = config.budget.ledgerId ?? BUDGET_LEDGER_ID;
  return client.withDeadline(Date.now() + LEDGER_SNAPSHOT_WAIT_MS, () => client.workflow.getHandle(ledgerId).query(budgetQuery)).catch(() => undefined);
}

/**
 * `pantheon god start` and `npm run god`: God (idempotently) and its watchdog Schedule. A goals
 * file and the settings are checked completely before anything is started. Settings given to a
 * God that runs are refused (exit 1) unless it already runs with them: a script that gives them
 * must not go on believing they apply.
 */
export async function godStartCommand(argv: string[], config: PantheonConfig = loadConfig()): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { goals: { type: 'string' }, config: { type: 'string' }, 'config-file': { type: 'string' } },
  });
  if (positionals.length) throw invalid('god start', `unexpected argument "${positionals[0]}" (goals come with --goals FILE, settings with --config JSON)`);
  const settings = godSettingsFrom(values);
  const settingsFlag = values.config !== undefined ? '--config' : `--config-file ${values['config-file']}`;
  const goals: GoalInput[] | undefined = values.goals === undefined ? undefined : loadGoalsFile(values.goals);
  const godId = config.god.id;
  const taskQueue = config.temporal.taskQueue;
  const address = config.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS;
  const { client, close } = await connectOrExplain(config);
  try {
    const result = await startGod(client, { godId, taskQueue, goals, ...(settings && { config: settings }) });
    const runningWith = result.outcome === 'already_running' && settings ? await refuseOtherSettings(client, godId, result.runId, settings, settingsFlag) : undefined;
    const scheduleId = watchdogScheduleId(godId);
    // The settings of the run now God's, for the watchdog to start God afresh with (unreadable: it keeps its record).
    const recorded = await settingsOfRun(client, godId, result.runId);
    const schedule = await ensureGodWatchdogSchedule(client, { godId, taskQueue, goals, scheduleId, ...(recorded.settings && { settings: recorded.settings }) });
    if (result.outcome === 'started') {
      const from =
        result.resumed === true
          ? ' resuming the killed run\'s queue, goals, statistics and settings'
          : goals
            ? ` with ${goals.length} goal(s) from ${values.goals}`
            : ' with no goals (add some: pantheon god add-goal)';
      if (typeof result.resumed === 'string') console.log(`could not resume the last run's state (${result.resumed}); starting afresh`);
      const previous = result.previous && result.previous !== 'none' ? ` (its last run had ${result.previous})` : '';
      console.log(`God started: workflow ${godId}, run ${result.runId}, task queue ${taskQueue}, at ${address}${from}${previous}`);
      if (settings) {
        console.log(`settings: ${describeSettings(settings)} from ${settingsFlag}; the others ${result.resumed === true ? "as the killed run had them" : 'at their defaults'}`);
      }
    } else {
      console.log(`God is already running: workflow ${godId}, run ${result.runId}; nothing started`);
      if (runningWith) console.log(`  it runs with the settings of ${settingsFlag} already (${runningWith})`);
      if (goals) console.log(`  the goals in ${values.goals} were not applied to the running God: add them with pantheon god add-goal --file ${values.goals}`);
    }
    console.log(`watchdog: Schedule ${scheduleId} ${schedule} (every 5m it starts God again if God is not running${goals ? `, with the goals of ${values.goals}` : ''})`);
    console.log(
      recorded.settings
        ? `  a God it starts afresh (its last state unreadable) runs with the settings of this one: ${describeRecorded(recorded.settings)}`
        : `  the settings God runs with could not be read (${recorded.error}): a God it starts afresh runs with those it recorded before, if any, else the defaults`,
    );
    console.log(`web ui    ${workflowUrl(config, godId)}`);
    const pollers = await workflowPollers(client, config.temporal.namespace, taskQueue);
    if (pollers === 0) console.log(`note: no worker polls task queue ${taskQueue} yet: God waits until one does (npm run worker)`);
  } finally {
    await close();
  }
}

/**
 * Settings given to a God that already runs: refused (invalid_input, naming the flag and each
 * setting it runs with otherwise, and how to change them) unless it runs with them already, when
 * they are returned as a line to print. God takes its settings only at a start: it cannot change
 * them while it runs, and a restart resumes its state.
 */
async function refuseOtherSettings(client: Client, godId: string, runId: string, settings: GodSettings, flag: string): Promise<string> {
  const running = await runSettings(client, godId, runId);
  const change = `its settings are unchanged, and nothing was started: God takes settings only when it starts, so to change them, terminate it (temporal workflow terminate --workflow-id ${godId} --reason "new settings") and run this again; the new run resumes its queue, goals, reviews and statistics`;
  if (!running.settings) {
    throw PantheonError.of('invalid_input', `${flag}: God is already running (workflow ${godId}, run ${runId}) and its settings could not be read (${running.error}); ${change}`, { details: { field: flag.split(' ')[0] } });
  }
  const differ = settingsDifferences(running.settings as unknown as Record<string, unknown>, settings);
  if (differ.length) {
    const what = differ.map((d) => `${d.setting} ${d.running === undefined ? '(unset)' : String(d.running)}, not ${String(d.given)}`).join('; ');
    throw PantheonError.of('invalid_input', `${flag}: God is already running (workflow ${godId}, run ${runId}) with ${what}; ${change}`, { details: { field: flag.split(' ')[0], setting: differ[0].setting } });
  }
  return describeSettings(settings);
}

/** `god status`'s line on the watchdog: the settings a God it starts afresh would run with. */
async function watchdogLine(client: Client, scheduleId: string): Promise<string> {
  const recorded: { settings?: GodSettings; error?: string } | undefined = await watchdogSettings(client, scheduleId).then(recordedSettings, (err: unknown) => ({ error: `Schedule ${scheduleId}: ${err instanceof Error ? err.message : String(err)}` }));
  if (recorded?.settings) return `watchdog   a God it starts afresh runs with ${describeRecorded(recorded.settings)} (God's last start's settings)`;
  return `watchdog   a God it starts afresh runs with the defaults: ${recorded?.error ?? 'no settings recorded'} (pantheon god start records them)`;
}

async function addGoalCommand(args: string[], config: PantheonConfig): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      file: { type: 'string' },
      id: { type: 'string' },
      objective: { type: 'string' },
      value: { type: 'string' },
      cadence: { type: 'string' },
      share: { type: 'string' },
      lane: { type: 'string' },
      'tasks-per-run': { type: 'string' },
    },
  });
  if (positionals.length) throw invalid('add-goal', `unexpected argument "${positionals[0]}" (give --objective TEXT or --file FILE)`);
  const { file, ...flags } = values;
  if (file !== undefined && Object.values(flags).some((v) => v !== undefined)) throw invalid('--file', 'give either --file or --objective and its flags, not both');
  const goals = file === undefined ? [goalFromFlags(flags)] : parseGoalOrGoals(readGoalsText(file), file);
  if (goals.length === 0) throw invalid('--file', `${file} holds no goals; nothing was added`);
  await withGod(config, async (god) => {
    // A file is refused whole: checked against God's goals before the first is added, so a later
    // goal God would refuse (an id it has, one past its limit) does not leave the earlier ones added.
    if (goals.length > 1) checkGoalsFit(goals, await godQuery(god, godGoalsQuery), file!);
    for (const goal of goals) {
      const added = await godUpdate(god, addGoalUpdate, goal);
      console.log(`goal added: ${added.id} (value ${added.value}, every ${added.cadenceMinutes} min, ${Math.round(added.budgetShare * 100)}% of the day at most, ${added.lane} lane)`);
    }
  });
}

/** Every goal of a file can be added to God's current ones, or nothing is: names the first that cannot. */
function checkGoalsFit(goals: readonly GoalInput[], current: ReadonlyArray<{ id: string }>, file: string): void {
  const godHas = new Set(current.map((g) => g.id));
  const inFile = new Set<string>();
  for (const [i, goal] of goals.entries()) {
    if (godHas.has(goal.id)) throw invalid(`${file}: goals.${i}.id`, `God already has a goal "${goal.id}"; nothing was added`);
    if (inFile.has(goal.id)) throw invalid(`${file}: goals.${i}.id`, `"${goal.id}" is in the file twice; nothing was added`);
    inFile.add(goal.id);
  }
  if (current.length + goals.length > MAX_GOALS) {
    throw invalid(`${file}: goals`, `God has ${current.length} goals and holds at most ${MAX_GOALS}: ${goals.length} more do not fit; nothing was added`);
  }
}

export async function godCommand(argv: string[]): Promise<void> {
  const [sub = 'status', ...args] = argv;
  // The subcommand before the settings: a typo is told as such, not as a bad PANTHEON_ setting.
  if (!GOD_SUBCOMMANDS.includes(sub)) throw unknownSubcommand('god', sub, GOD_SUBCOMMANDS, GOD_USAGE);
  const config = loadConfig();
  const viewFlags = { json: { type: 'boolean', default: false } } as const;

  switch (sub) {
    case 'status':
    case 'queue':
    case 'goals':
    case 'specialists': {
      const { values } = parseArgs({ args, options: viewFlags });
      await withGod(config, async (god) => {
        const now = Date.now();
        if (sub === 'status') {
          const status = await godQuery(god, godStatusQuery);
          const ledger = values.json ? undefined : await ledgerSnapshot(god.client, config);
          console.log(values.json ? JSON.stringify(status, null, 2) : renderGodStatus(status, { address: god.address, namespace: god.namespace, nowMs: now, ledger }));
          if (!values.json) console.log(await watchdogLine(god.client, watchdogScheduleId(god.godId)));
        } else if (sub === 'queue') {
          const queue = await godQuery(god, godQueueQuery);
          console.log(values.json ? JSON.stringify(queue, null, 2) : renderQueue(queue, now));
        } else if (sub === 'specialists') {
          const roster = await godQuery(god, godRosterQuery);
          console.log(values.json ? JSON.stringify(roster, null, 2) : renderSpecialists(roster, now));
        } else {
          const goals = await godQuery(god, godGoalsQuery);
          console.log(values.json ? JSON.stringify(goals, null, 2) : renderGoals(goals, now));
        }
      });
      return;
    }
    case 'decisions': {
      const { values } = parseArgs({ args, options: { ...viewFlags, limit: { type: 'string', default: '30' } } });
      const limit = numberFlag('--limit', values.limit)!;
      if (!Number.isInteger(limit) || limit < 1) throw invalid('--limit', `expected a positive whole number, got "${values.limit}"`);
      await withGod(config, async (god) => {
        const records = await godQuery(god, godDecisionsQuery);
        if (values.json) json(records.slice(-limit));
        else console.log(renderDecisions(records, limit));
      });
      return;
    }
    case 'start':
      await godStartCommand(args, config);
      return;
    case 'pause':
    case 'resume': {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { reason: { type: 'string' }, by: { type: 'string' } } });
      if (positionals.length) throw invalid('--reason', `unexpected argument "${positionals[0]}" (give the reason with --reason TEXT)`);
      const arg = pauseFrom(values.reason, values.by ?? operatorName());
      await withGod(config, async (god) => {
        // Already so: say it, and change nothing (a second pause would restart its "since").
        const before = await godQuery(god, godStatusQuery);
        const noop = sub === 'pause' ? before.paused && `God is already paused since ${new Date(before.paused.sinceMs).toISOString()}${pausedBy(before.paused)}: "${before.paused.reason}"; nothing changed (resume first to pause for another reason)` : !before.paused && 'God is not paused: nothing to resume';
        const status = noop ? before : await godUpdate(god, sub === 'pause' ? pauseUpdate : resumeUpdate, arg);
        if (noop) console.log(noop);
        else console.log(status.paused ? `God paused by ${arg.by}: "${status.paused.reason}" (nothing is generated or admitted; in-flight tasks go on)` : `God resumed by ${arg.by}: generating and admitting again`);
        console.log(`tasks: ${status.queued} queued, ${status.awaitingReview} awaiting review, ${status.inFlight} in flight`);
      });
      return;
    }
    case 'add-goal':
      await addGoalCommand(args, config);
      return;
    case 'remove-goal': {
      const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
      const arg = removeGoalFrom(positionals);
      await withGod(config, async (god) => {
        const { removed } = await godUpdate(god, removeGoalUpdate, arg);
        console.log(`goal removed: ${removed}`);
        for (const line of goalLeftoverLines(removed, await godQuery(god, godQueueQuery))) console.log(line);
      });
      return;
    }
    case 'share': {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { reason: { type: 'string' }, by: { type: 'string' } } });
      const arg = shareFrom(positionals, values.reason, values.by ?? operatorName());
      await withGod(config, async (god) => {
        const runway = await godUpdate(god, setExperimentalShareUpdate, arg);
        console.log(`experimental share set to ${arg.share} by ${arg.by}: "${arg.reason}"`);
        console.log(runwayLines(runway, Date.now()).join('\n'));
      });
      return;
    }
    default:
      throw unknownSubcommand('god', sub, GOD_SUBCOMMANDS, GOD_USAGE);
  }
}
