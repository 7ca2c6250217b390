import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { loginName } from '../login-name';
import { parseArgs } from '../parse-args';
import { unknownSubcommand } from '../unknown-subcommand';
import type { OperatorInput, OverrideInput } from '../../budget/messages';
import { OVERRIDABLE_SCOPE } from '../../budget/scopes';
import type { BudgetSnapshot } from '../../budget/snapshot';
import { loadConfig, type PantheonConfig } from '../../config/env';
import { PantheonError } from '../../errors';
import {
  BUDGET_LEDGER_ID,
  budgetQuery,
  closeBreakerUpdate,
  ledgerStateQuery,
  openBreakerUpdate,
  resetUpdate,
  restoreUpdate,
  setExperimentalShareUpdate,
  setLimitsUpdate,
  setOverrideUpdate,
  type CarriedLedger,
} from '../../budget/ledger-defs';
import { createLedgerClient } from '../../budget/ledger-client';
import { limitsFilePath, loadLimits } from '../../budget/load-limits';
import { readStateFile } from '../ledger-state-file';
import { loadRoster } from '../../specialists/roster';
import { CALL_PURPOSES } from '../../llm/types';
import { godRosterFetcher } from '../../workers/god-roster';
import { breakerLines, formatLimit, laneLines, renderBudget } from '../budget-view';
import { MAX_EXPERIMENTAL_SHARE } from '../../budget/limits';
import { limitsChanges, limitsWarnings, overriddenChanges } from '../../budget/limits-patch';
import { applyLimitsOver } from '../limits-apply';
import { noAnswer } from '../no-answer';
import { connectClient, DEFAULT_TEMPORAL_ADDRESS } from '../connection';

export const BUDGET_USAGE = `pantheon budget [show] [--json] [--tasks N]  spend against every limit, the breaker, alerts and audit
pantheon budget close [--who NAME] --why TEXT  close the circuit breaker (audited)
pantheon budget open [--who NAME] --why TEXT   open it: every LLM call is denied until closed (audited)
pantheon budget override --scope SCOPE --usd N --minutes M [--who NAME] --why TEXT
                                             a temporary USD limit for system:hour|day, agent:<name>:hour|day or task:<id>
pantheon budget share --share N [--who NAME] --why TEXT
                                             the experimental lane's share of the day, 0 to 0.5 (audited)
pantheon budget limits [--file limits.yaml] [--who NAME] --why TEXT
                                             apply the keys a limits file sets to the running ledger;
                                             the others keep their values; prints each change (audited)
pantheon budget export [--run RUN_ID]        the ledger's whole state as JSON (of an ended run with --run)
pantheon budget restore (--from-run RUN_ID | --file STATE.json) [--who NAME] --why TEXT
                                             take over a state (an ended run's, or one exported); audited
pantheon budget reset [--who NAME] --why TEXT  start the books over: no spend, breaker closed (audited)
--who (or --by) is recorded in the ledger's audit log, by default your login name; --reason is --why`;

const BUDGET_SUBCOMMANDS = ['show', 'close', 'open', 'override', 'share', 'limits', 'export', 'restore', 'reset'];

/** How long the ledger gets to answer: it answers at once when a worker runs its task queue. */
const LEDGER_TIMEOUT_MS = 15_000;

const invalid = (field: string, message: string) => PantheonError.of('invalid_input', `${field}: ${message}`, { details: { field } });

/**
 * Who changes the ledger and why, for its audit log: `--who` (or `--by`, as the other commands
 * name it; default: this machine's login name) and `--why` (or `--reason`), required, non-blank,
 * within the ledger's limits (checked here, so nothing is sent).
 */
function operatorOf(values: { who?: string; why?: string; by?: string; reason?: string }, sub: string, purpose: string): OperatorInput {
  const usage = BUDGET_USAGE.split('\n').find((line) => line.startsWith(`pantheon budget ${sub} `));
  const one = (a: '--who' | '--why', b: '--by' | '--reason', x: string | undefined, y: string | undefined) => {
    if (x !== undefined && y !== undefined && x.trim() !== y.trim()) throw invalid(b, `${a} is given too, with another value: give one of them`);
    return x ?? y;
  };
  const text = (flag: '--who' | '--why', value: string | undefined, max: number, help: string) => {
    if (value === undefined) throw invalid(flag, `required: ${help}, for the ledger's audit log${usage ? `\nusage: ${usage}` : ''}`);
    const trimmed = value.trim();
    if (!trimmed) throw invalid(flag, `must not be blank: ${help}`);
    if (trimmed.length > max) throw invalid(flag, `at most ${max} characters, got ${trimmed.length}`);
    return trimmed;
  };
  const who = one('--who', '--by', values.who, values.by) ?? loginName();
  const why = one('--why', '--reason', values.why, values.reason);
  return { who: text('--who', who, 100, 'your name'), why: text('--why', why, 500, `why you ${purpose}`) };
}

function numberOf(flag: string, value: string | undefined, check: (n: number) => boolean, expected: string): number {
  if (value === undefined) throw invalid(flag, `required (${expected})`);
  // Plain decimals only: Number() would also take 0x10 (16), 1e308 or Infinity without a word.
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n) || !check(n)) throw invalid(flag, `expected ${expected}, got "${value}"`);
  return n;
}

function overrideOf(values: Record<string, string | undefined>, nowMs: number): OverrideInput {
  const scope = values.scope;
  if (scope === undefined) throw invalid('--scope', 'required: system:hour, system:day, agent:<name>:hour|day or task:<id>');
  if (scope.length > 300 || !OVERRIDABLE_SCOPE.test(scope)) {
    throw invalid('--scope', `"${scope}" is not a scope: use system:hour, system:day, agent:<name>:hour|day or task:<id>`);
  }
  const usd = numberOf('--usd', values.usd, (n) => n >= 0, 'a USD amount of 0 or more');
  const minutes = numberOf('--minutes', values.minutes, (n) => n > 0 && n <= 366 * 24 * 60, 'minutes above 0 (at most a year)');
  return { ...operatorOf(values, 'override', 'override a limit'), scope, limitUsd: usd, untilMs: Math.round(nowMs + minutes * 60_000) };
}

/**
 * An agent scope names an agent calls are billed to: a specialist of the roster folder, one God
 * spawned, or a system purpose (router, validator, …). A typo would otherwise be an override that
 * limits nothing, accepted without a word.
 */
async function checkAgentScope(client: Client, config: PantheonConfig, scope: string): Promise<void> {
  const agent = /^agent:([^:\s]+):(hour|day)$/.exec(scope)?.[1];
  if (agent === undefined) return;
  // A specialist's calls are billed to its name: `specialist` is a purpose, never an agent.
  const known = new Set<string>([...loadRoster(config.rosterDir).specialists.map((s) => s.name), ...CALL_PURPOSES.filter((p) => p !== 'specialist')]);
  if (known.has(agent)) return;
  let spawned: string[] = [];
  let godNote = '';
  try {
    spawned = (await godRosterFetcher(client, config.god.id)()).specialists.map((s) => s.name);
  } catch {
    godNote = `; God ("${config.god.id}") did not answer for the specialists it spawned`;
  }
  if (spawned.includes(agent)) return;
  throw invalid('--scope', `no agent "${agent}": calls are billed to ${[...known, ...spawned].join(', ')}${godNote}`);
}

/**
 * A task scope may name a task not yet submitted (an operator raising its limit ahead of
 * `submit --id`), so it is not refused; but a typo would limit nothing, so it is said.
 */
async function taskScopeWarning(client: Client, request: OverrideInput): Promise<string | undefined> {
  const taskId = /^task:(.+)$/.exec(request.scope)?.[1];
  if (taskId === undefined) return undefined;
  try {
    await client.workflow.getHandle(taskId).describe();
    return undefined;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    return `no task "${taskId}" has been started; the override applies to one started by that id before ${new Date(request.untilMs).toISOString()}`;
  }
}

export interface Ledger {
  client: Client;
  ledgerId: string;
  address: string;
  namespace: string;
}

/** The running ledger, or a clear error. Never starts one: that is a worker's job (it knows the limits). */
async function withLedger<T>(config: PantheonConfig, body: (ledger: Ledger) => Promise<T>): Promise<T> {
  const address = config.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS;
  const ledgerId = config.budget.ledgerId ?? BUDGET_LEDGER_ID;
  const { client, close } = await connectClient(config);
  const ledger = { client, ledgerId, address, namespace: config.temporal.namespace };
  const where = `workflow "${ledgerId}" in namespace "${ledger.namespace}"`;
  try {
    let status: string;
    let taskQueue = '?';
    try {
      const description = await client.withDeadline(Date.now() + LEDGER_TIMEOUT_MS, () => client.workflow.getHandle(ledgerId).describe());
      status = description.status.name;
      taskQueue = description.taskQueue;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      status = 'NOT_FOUND';
    }
    if (status !== 'RUNNING' && status !== 'NOT_FOUND') {
      // The run ended without continue-as-new: open its successor now (resumed, or locked when
      // its state cannot be read) instead of leaving that to the next worker's LLM call.
      await createLedgerClient({ client, taskQueue: taskQueue === '?' ? config.temporal.budgetTaskQueue : taskQueue, limits: loadLimits(), ledgerId }).ensure();
      console.error(`the budget ledger run had ended (${status.toLowerCase()}); its successor is open`);
      status = 'RUNNING';
    }
    if (status !== 'RUNNING') {
      const found = status === 'NOT_FOUND' ? `no ${where}` : `${where} is ${status.toLowerCase()}`;
      throw new Error(`no budget ledger at ${address}: start a worker first (${found})`);
    }
    const deadlineMs = Date.now() + LEDGER_TIMEOUT_MS;
    try {
      return await client.withDeadline(deadlineMs, () => body(ledger));
    } catch (err) {
      if (noAnswer(err, deadlineMs)) {
        throw PantheonError.of(
          'ledger_unavailable',
          `the budget ledger at ${address} (${where}) did not answer within ${LEDGER_TIMEOUT_MS / 1000} s: is a worker polling its task queue "${taskQueue}"? ` +
            'A change this command sent (if it sends one) may still be applied when the ledger answers.',
          { cause: err, details: { ledgerId } },
        );
      }
      throw err;
    }
  } finally {
    await close();
  }
}

const snapshotOf = (ledger: Ledger): Promise<BudgetSnapshot> => ledger.client.workflow.getHandle(ledger.ledgerId).query(budgetQuery);

/** gRPC's status code for a malformed argument. */
const GRPC_INVALID_ARGUMENT = 3;
/** The server's answer to a run id that is no UUID ("Invalid RunId."; the SDK raises it from a
 * query as QueryNotRegisteredError, which carries the gRPC code). */
const isMalformedRunId = (err: unknown) => (err as { code?: unknown })?.code === GRPC_INVALID_ARGUMENT && /\brun ?id\b/i.test((err as Error).message ?? '');

/** The carried state of the running ledger, or of one of its runs (ended ones included), named by `flag`. */
async function carriedOf(ledger: Ledger, runId?: string, flag = '--run'): Promise<CarriedLedger> {
  try {
    return await ledger.client.workflow.getHandle(ledger.ledgerId, runId).query(ledgerStateQuery);
  } catch (err) {
    // A run id that is no run of the ledger, or no run id at all.
    if (runId !== undefined && (err instanceof WorkflowNotFoundError || isMalformedRunId(err))) {
      throw invalid(flag, `no run "${runId}" of the budget ledger "${ledger.ledgerId}" (its runs: temporal workflow list --query 'WorkflowId="${ledger.ledgerId}"')`);
    }
    throw err;
  }
}

/** An operator's update of the ledger; a refusal names why (exported for the compare-and-set test). */
export async function operate<Ret, Arg>(ledger: Ledger, def: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret> {
  try {
    return await ledger.client.workflow.getHandle(ledger.ledgerId).executeUpdate(def, { args: [arg] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      // A change over limits that no longer stand keeps its type: the caller may read and try again.
      const type = err.cause instanceof ApplicationFailure && err.cause.type === 'limits_changed' ? 'limits_changed' : 'invalid_input';
      throw PantheonError.of(type, `the budget ledger refused ${def.name}: ${err.cause?.message ?? err.message}`, { cause: err });
    }
    throw err;
  }
}

export async function budgetCommand(argv: string[]): Promise<void> {
  const first = argv[0];
  const sub = first === undefined || first.startsWith('-') ? 'show' : first;
  const args = sub === first ? argv.slice(1) : argv;
  const operatorFlags = { who: { type: 'string' }, why: { type: 'string' }, by: { type: 'string' }, reason: { type: 'string' } } as const;

  if (sub === 'show') {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false }, tasks: { type: 'string', default: '5' } } });
    const tasks = numberOf('--tasks', values.tasks, (n) => Number.isInteger(n) && n >= 0, 'a whole number of 0 or more');
    await withLedger(loadConfig(), async (ledger) => {
      const snapshot = await snapshotOf(ledger);
      console.log(values.json ? JSON.stringify(snapshot, null, 2) : renderBudget(snapshot, { ledgerId: ledger.ledgerId, address: ledger.address, namespace: ledger.namespace, tasks, nowMs: Date.now() }));
    });
    return;
  }

  if (sub === 'close' || sub === 'open') {
    const { values } = parseArgs({ args, options: operatorFlags });
    const action = operatorOf(values, sub, `${sub} the breaker`);
    await withLedger(loadConfig(), async (ledger) => {
      // Already so: say it and change nothing (no audit entry for it). A breaker a trip opened is
      // not "already open" for an operator: opening it holds it open past its own retry time.
      const { breaker } = await snapshotOf(ledger);
      const noop =
        sub === 'close'
          ? !breaker.open && 'breaker already closed: nothing changed'
          : breaker.open && breaker.reason === 'operator' && `breaker already open, held by an operator: nothing changed (close it first to open it for another reason)`;
      if (!noop) await operate(ledger, sub === 'close' ? closeBreakerUpdate : openBreakerUpdate, action);
      const snapshot = await snapshotOf(ledger);
      console.log(noop || `breaker ${sub === 'close' ? 'closed' : 'opened'} by ${action.who}: "${action.why}"`);
      console.log(breakerLines(snapshot.breaker, snapshot.audit, Date.now(), snapshot.limits.circuitBreaker.enabled).join('\n'));
    });
    return;
  }

  if (sub === 'override') {
    const { values } = parseArgs({ args, options: { ...operatorFlags, scope: { type: 'string' }, usd: { type: 'string' }, minutes: { type: 'string' } } });
    const request = overrideOf(values, Date.now());
    const config = loadConfig();
    await withLedger(config, async (ledger) => {
      await checkAgentScope(ledger.client, config, request.scope);
      const taskWarning = await taskScopeWarning(ledger.client, request);
      await operate(ledger, setOverrideUpdate, request);
      if (taskWarning) console.error(`warning: ${taskWarning}`);
      const snapshot = await snapshotOf(ledger);
      console.log(`override set by ${request.who}: ${request.scope} limited to ${formatLimit(request.limitUsd)} until ${new Date(request.untilMs).toISOString()}`);
      for (const o of snapshot.overrides) console.log(`  ${o.scope}  ${formatLimit(o.limitUsd)} until ${new Date(o.untilMs).toISOString()} by ${o.who}: "${o.why}"`);
      console.log(breakerLines(snapshot.breaker, snapshot.audit, Date.now(), snapshot.limits.circuitBreaker.enabled).join('\n'));
    });
    return;
  }

  if (sub === 'share') {
    const { values } = parseArgs({ args, options: { ...operatorFlags, share: { type: 'string' } } });
    const share = numberOf('--share', values.share, (n) => n >= 0 && n <= MAX_EXPERIMENTAL_SHARE, `a share of the day from 0 to ${MAX_EXPERIMENTAL_SHARE}, e.g. 0.15`);
    const { who, why } = operatorOf(values, 'share', "change the experimental lane's share");
    await withLedger(loadConfig(), async (ledger) => {
      await operate(ledger, setExperimentalShareUpdate, { share, reason: why, by: who });
      console.log(`experimental share set to ${share} by ${who}: "${why}"`);
      console.log(laneLines(await snapshotOf(ledger)).join('\n'));
    });
    return;
  }

  if (sub === 'limits') {
    const { values } = parseArgs({ args, options: { ...operatorFlags, file: { type: 'string' } } });
    const action = operatorOf(values, 'limits', 'change the limits');
    const file = values.file ?? limitsFilePath();
    loadLimits(file, { requireKeys: true }); // a bad file is refused before anything is asked of the ledger
    await withLedger(loadConfig(), async (ledger) => {
      const outcome = await applyLimitsOver({
        read: async () => (await carriedOf(ledger)).limits,
        lay: (base) => loadLimits(file, { requireKeys: true, over: base }),
        apply: (limits, ifLimits) => operate(ledger, setLimitsUpdate, { ...action, limits, ifLimits }).then(() => undefined),
      });
      for (const warning of limitsWarnings(outcome.limits)) console.error(`warning: ${warning}`);
      if (!outcome.applied) {
        console.log(`no change: the ledger already has every limit ${file} sets (nothing applied)`);
        return;
      }
      if (outcome.tries > 1) console.error(`note: the ledger's limits changed while this change was on its way; applied over them (try ${outcome.tries})`);
      console.log(`limits from ${file} applied by ${action.who}: "${action.why}"`);
      for (const change of outcome.changes) console.log(`  ${change}`);
      for (const note of overriddenChanges(outcome.changes, (await snapshotOf(ledger)).overrides, Date.now())) console.error(`note: ${note}`);
    });
    return;
  }

  if (sub === 'export') {
    const { values } = parseArgs({ args, options: { run: { type: 'string' } } });
    await withLedger(loadConfig(), async (ledger) => {
      console.log(JSON.stringify(await carriedOf(ledger, values.run), null, 2));
    });
    return;
  }

  if (sub === 'restore') {
    const { values } = parseArgs({ args, options: { ...operatorFlags, 'from-run': { type: 'string' }, file: { type: 'string' } } });
    const from = values['from-run'];
    if ((from === undefined) === (values.file === undefined)) throw invalid('--from-run', 'name exactly one source: --from-run RUN_ID (an ended ledger run) or --file STATE.json (from `pantheon budget export`)');
    const action = operatorOf(values, 'restore', 'restore the ledger');
    const carried = values.file === undefined ? undefined : readStateFile(values.file);
    await withLedger(loadConfig(), async (ledger) => {
      if (from !== undefined) {
        // The running run's own state taken over by itself changes nothing but the audit: a mistaken id.
        const { runId } = await ledger.client.workflow.getHandle(ledger.ledgerId).describe();
        if (runId === from) throw invalid('--from-run', `"${from}" is the running ledger run; name an ended run (temporal workflow list --query 'WorkflowId="${ledger.ledgerId}"')`);
      }
      const source = carried ?? (await carriedOf(ledger, from, '--from-run'));
      const before = (await snapshotOf(ledger)).limits;
      const snapshot = await operate(ledger, restoreUpdate, { ...action, state: source.state, limits: source.limits });
      console.log(`ledger restored by ${action.who} from ${from ? `run ${from}` : values.file}: "${action.why}"`);
      // The source's limits come back with its state: said, as \`budget limits\` says what it changes.
      const changed = limitsChanges(before, snapshot.limits);
      console.log(changed.length ? `limits     back to the source's: ${changed.join('; ')}` : 'limits     unchanged');
      console.log(breakerLines(snapshot.breaker, snapshot.audit, Date.now(), snapshot.limits.circuitBreaker.enabled).join('\n'));
    });
    return;
  }

  if (sub === 'reset') {
    const { values } = parseArgs({ args, options: operatorFlags });
    const action = operatorOf(values, 'reset', 'reset the ledger');
    await withLedger(loadConfig(), async (ledger) => {
      const snapshot = await operate(ledger, resetUpdate, action);
      console.log(`ledger reset by ${action.who}: "${action.why}" (spend, reservations, overrides and the breaker start over)`);
      console.log(breakerLines(snapshot.breaker, snapshot.audit, Date.now(), snapshot.limits.circuitBreaker.enabled).join('\n'));
    });
    return;
  }

  throw unknownSubcommand('budget', sub, BUDGET_SUBCOMMANDS, BUDGET_USAGE);
}
