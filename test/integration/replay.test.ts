import fs from 'node:fs';
import path from 'node:path';
import { Worker, type ReplayResult } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { fixtureWorkflowId, HISTORY_FIXTURES } from '../support/history';

/**
 * Replays histories recorded from real runs (PANTHEON_RECORD_HISTORIES=1 npm test) against the
 * current workflow code. A change that would make a running task non-deterministic fails here.
 */
const fixtures = fs.readdirSync(HISTORY_FIXTURES).filter((f) => f.endsWith('.json')).sort();

describe('workflow replay', () => {
  it('has recorded histories for every workflow path we guard', () => {
    expect(fixtures).toEqual(
      expect.arrayContaining([
        'completed-database-task.json',
        // routeTask recalls for its pick, so the first run asks no recallForRun of its own.
        'completed-task-route-recall.json',
        // The bill closed by storeMemory with the record (the 'bill-closed-with-record' patch).
        'completed-task-bill-with-record.json',
        'rejected-vague-task.json',
        'compressed-long-task.json',
        // Two compressions with structured summaries and pinned final decisions (a summary object, not a string).
        'compressed-twice-pinned-facts.json',
        'reassigned-task.json',
        // A run at its iteration limit hands the task on (the 'iteration-limit-reassigns' patch).
        'reassigned-after-iteration-limit.json',
        // A run whose retries ran out while it advanced goes on from its checkpoint (the 'run-resumes-after-progress' patch).
        'resumed-run-after-progress.json',
        // A provider outage with no candidate left is waited out, the same run going on (the 'provider-outage-waits' patch).
        'provider-outage-waited-out.json',
        // The last candidate's own hourly budget spent is waited out, the same run going on (the run's `waitForAgentWindow`; no patch: only its input changed).
        'agent-window-waited-out.json',
        'dead-lettered-task.json',
        // Before a requeue waited for the abandoned activity to stop (the 'requeue-waits-for-cancel' patch).
        'requeued-stale-task.json',
        'requeued-stale-task-waits-for-cancel.json',
        'poison-stale-task-cancelled.json',
        // Cancelled as poison, counting the stopped run's iterations (the 'give-up-counts-run-iterations' patch).
        'poison-stale-task-counts-run-iterations.json',
        // A requeue of a task waiting for budget is ignored (the 'requeue-spares-budget-wait' patch).
        'requeue-ignored-while-waiting-budget.json',
        // And while it waits for the provider (the 'requeue-spares-provider-wait' patch).
        'requeue-ignored-while-waiting-provider.json',
        // The 'bounded-task-inputs', 'retry-intervals-in-order', 'task-is-one-argument' and 'history-guard' patches, recorded only when they fire.
        'rejected-unbounded-inputs.json',
        'rejected-retry-out-of-order.json',
        'rejected-two-arguments.json',
        'history-guarded-task.json',
        'budget-exceeded-task.json',
        'budget-waiting-task.json',
        // After a wait for budget the task stays waiting_budget while it asks again, running once let through (the 'budget-check-keeps-waiting' patch).
        'budget-check-keeps-waiting.json',
        // A task the second stage rejected closes its bill (the 'rejected-task-closes-bill' patch).
        'rejected-task-closes-bill.json',
        'budget-ledger.json',
        // Settles riding with reserves in one ledgerBatch update; bills closed ifSettled.
        'budget-ledger-batched.json',
        // Runs continue as new after 250 updates, not 1000 (the 'budget-ledger-shorter-runs' patch).
        'budget-ledger-shorter-runs.json',
        // Batches that carry tasks' bill closes, answers that carry tasks' tallies.
        'budget-ledger-closes-in-batches.json',
        // A repeated close answered with the bill the first one closed (the 'budget-ledger-remembers-closes' patch).
        'budget-ledger-remembers-closes.json',
        // A settle above its worst case retires every lease (the 'budget-ledger-overrun-retires-leases' patch).
        'budget-ledger-overrun-retires-leases.json',
        // A runaway trip stops the task that tripped it (the 'budget-ledger-runaway-stops-task' patch).
        'budget-ledger-runaway-stops-task.json',
        // A lease returned after its end charged it is handed back (the 'budget-ledger-refunds-late-leases' patch).
        'budget-ledger-refunds-late-leases.json',
        // A late return's hand-back closes the breaker its lease's end opened (the 'budget-ledger-refund-undoes-trip' patch).
        'budget-ledger-refund-undoes-trip.json',
        // Spend an override allowed does not trip the breaker when it lapses (the 'budget-ledger-trips-on-new-spend' patch).
        'budget-ledger-trips-on-new-spend.json',
        // The cap on remembered closed bills enforced at each prune (the 'budget-ledger-caps-closed-at-prune' patch).
        'budget-ledger-caps-closed-at-prune.json',
        // Limits naming another timezone keep the hour's and day's spend (the 'budget-ledger-timezone-keeps-windows' patch).
        'budget-ledger-timezone-keeps-windows.json',
        // A restore keeps the restored state's audit and alerts (the 'budget-ledger-restore-keeps-record' patch).
        'budget-ledger-restore-keeps-record.json',
        // A successor that resumed a terminated run, its charges of live callers' calls and leases corrected when they answered (the 'budget-ledger-corrects-recovered-charges' patch).
        'budget-ledger-corrects-recovered-charges.json',
        // A storm of tasks stopped at their own limit leaves the breaker's trip in the alert log (the 'budget-ledger-keeps-fleet-alerts' patch).
        'budget-ledger-keeps-fleet-alerts.json',
        'budget-ledger-continued.json',
        'budget-ledger-resumed.json',
        'budget-waiting-task.json',
        'completed-task-with-bill.json',
        'cancelled-task-with-bill.json',
        // A cancel mid-run counts the run's iterations (the 'cancel-counts-run-iterations' patch).
        'cancelled-mid-run-counts-iterations.json',
        'completed-task-chain.json',
        'failed-step-task-chain.json',
        'cancelled-task-chain.json',
        // A step terminated from outside, its bill closed by the chain ('chain-bills-a-broken-step').
        'task-chain-billed-broken-step.json',
        // The plan checked against the roster before step 1 ('chain-plan-checked-first'): a full run and a refused plan.
        'completed-task-chain-plan-checked.json',
        'task-chain-unknown-plan-step.json',
        'reporting-chain-step.json',
        'cancelled-reporting-step.json',
        'god-decisions.json',
        // A start whose input God does not take fails naming the field (the 'god-input-checked' patch).
        'god-input-refused.json',
        // God before it read the ledger again ahead of admission (the 'runway-read-before-admission' patch).
        'god-decisions-before-runway-reread.json',
        // God before a finished chain's statistics went under its plan (the 'chain-stats-by-plan' patch).
        'god-decisions-before-chain-stats.json',
        'god-first-run-continued.json',
        'god-later-run.json',
        // A God run that continued as new by its history's size (the 'god-continues-by-history-size' patch).
        'god-continued-by-history-size.json',
        // …and, with a carried state as large as that limit, only once the run's history grew by half of it ('god-continues-after-history-growth').
        'god-continues-after-history-growth.json',
        // God generating before generation waited for lane headroom (the 'generation-within-headroom' patch).
        'god-later-run-before-generation-gate.json',
        // Since dead_lettered and budget_exceeded fail the execution (the 'failed-terminal-states'
        // patch); dead-lettered-task.json and budget-exceeded-task.json keep the completed shape.
        'dead-lettered-task-failed.json',
        'budget-exceeded-task-failed.json',
        'failed-step-task-chain-failed-child.json',
        'reset-dead-lettered-task.json',
        // God with addConstraint/removeConstraint updates; a task rejected by a standing constraint.
        'god-constraints.json',
        // Memory recalled before every specialist's run (the 'recall-before-run' patch): the first
        // run, a reassignment, and a dead letter after it.
        'recalled-before-run-task.json',
        'recalled-at-reassignment-task.json',
        'dead-lettered-after-recall-task.json',
        'rejected-by-standing-constraint-task.json',
        // The 'lesson-records' patch: a reassignment's and a dead letter's lessons (recordLesson).
        'reassigned-task-with-lesson.json',
        'dead-lettered-task-with-lessons.json',
        // The same before memory was recalled before each run (the 'recall-before-run' patch).
        'reassigned-task-with-lesson-before-recall.json',
        'dead-lettered-task-with-lessons-before-recall.json',
        'memory-consolidation.json',
        // The store down when the task ended (the 'memory-never-costs-a-result' patch, recorded only
        // when a write fails): completed and dead-lettered, each with its record pending; a backfill pass.
        'completed-task-memory-pending.json',
        'dead-lettered-task-memory-pending.json',
        'memory-backfill.json',
        // The learned routing policy (the 'routing-policy' patch in God, 'policy-version-attribute'
        // in a task): God seeding, deciding with and learning from it; a God-routed task and a
        // directly started one recording the version (PantheonPolicyVersion).
        'god-routing-policy.json',
        // …and the routes the classifier (or nothing) picked, decided by the policy too.
        'god-routing-classifier-routes.json',
        // …counting an arm's overdue runs in flight against it (the 'routing-counts-overdue-runs' patch).
        'god-routing-overdue.json',
        // …keeping a changed arm that still fails out of exploit picks ('routing-quarantines-changed-arms').
        'god-routing-quarantine.json',
        // …arms with a record of the kind joining, the fallback on trial ('routing-recorded-arms-join').
        'god-routing-recorded-arms.json',
        // …unsure rules whose pick is failing the kind going to the policy ('routing-unsure-rules-avoid-failing').
        'god-routing-unsure-avoids-failing.json',
        // …a task rejected in review keeping its id known ('unstarted-ids-stay-known').
        'god-unstarted-ids-stay-known.json',
        // …the policy picking again when a queued task can start ('routing-picks-at-start').
        'god-routing-picks-at-start.json',
        // …and that pick judged for cost, to review when dearer than the day's share ('cost-review-of-the-pick-at-start').
        'god-cost-review-of-the-pick-at-start.json',
        // …and no pick made again while God is paused, nor in a new run that learned nothing since ('routing-keeps-picks-while-paused-or-unlearned').
        'god-routing-keeps-picks-while-paused.json',
        // …and an estimate above the ledger's per-task limit capped there for admission ('estimates-capped-at-task-limit').
        'god-estimates-capped-at-task-limit.json',
        // …and an explored pick the experimental lane's day could not pay routed by the best guess on main ('explores-within-experimental-day').
        'god-explores-within-experimental-day.json',
        // …probing quarantined arms, a run of successes clearing a change ('routing-probes-quarantined').
        'god-routing-probes.json',
        // …a quarantined arm probed, its third success in a row clearing the change (carried state).
        'god-routing-probed.json',
        // …a good arm on an improbably losing run sidelined, probed, and back after two successes ('routing-sidelines-losing-arms').
        'god-routing-sidelined.json',
        // …a failure run judged by the record before it: a 74 % arm of 8 runs flagged at its sixth failure in a row ('routing-judges-runs-by-record-before').
        'god-routing-record-before-run.json',
        'completed-god-routed-task-policy-version.json',
        'completed-task-policy-version.json',
        // The 'routed-outcome' patch: a direct task routed by God's policy tells God how it ended.
        'completed-task-routed-outcome.json',
        // A task's patches folded into one marker ('agent-task-patches-folded'), the policy version in
        // a status upsert: completed, dead-lettered with lessons, a direct task's routed outcome, a God-routed task.
        'completed-task-folded-patches.json',
        'dead-lettered-task-folded-patches.json',
        'completed-task-routed-outcome-folded.json',
        'completed-god-routed-task-folded.json',
        // A dead letter's and a budget stop's failure record closing the bill ('failure-bill-closed-with-record').
        'dead-lettered-task-failure-bill.json',
        'budget-exceeded-task-failure-bill.json',
        // God's admission keeping a lane's room for a task queued past holdAfterMinutes
        // ('admission-holds-overdue-tasks'; a run of god-days on the time-skipping server).
        'god-admission-holds.json',
        // A goal that started nothing that day starts a task past a hold (the 'goals-first-task-passes-hold' patch).
        'god-goal-passes-hold.json',
        // A task its goal's share could not take held no lane ('holds-only-fundable-tasks'), and a
        // day's end gave its unrun tasks' fingerprints back ('day-end-releases-dropped-fingerprints').
        'god-holds-only-fundable.json',
        'god-day-end-releases-fingerprints.json',
        // A goal that started nothing that day, none of whose queued tasks could start, generated
        // during another goal's hold ('goal-generates-past-stuck-backlog').
        'god-goal-generates-past-stuck-backlog.json',
        // A generation that proposed only tasks God already had, asked once more with them named
        // ('generation-asks-again-after-repeats').
        'god-generation-asks-again.json',
        // A goal that had started nothing that day dropped its full backlog of tasks that could not
        // start that day, then generated ('goal-drops-backlog-that-cannot-start').
        'god-goal-drops-backlog-that-cannot-start.json',
        // A trial specialist found by memory's kind for a second task, which was cancelled and
        // counted in neither its trial nor the statistics ('spawned-found-by-memory-kind',
        // 'rejected-and-cancelled-judge-no-specialist').
        'god-cancelled-trial-run.json',
        // A task a budget limit dead-lettered counted in no statistics or routing record ('budget-denials-judge-no-specialist').
        'god-budget-denial-unjudged.json',
        // …nor one the ledger stopped past max_spawn_depth ('spawn-depth-stops-unjudged').
        'god-spawn-depth-unjudged.json',
        // …nor a direct task's budget denial, told through routedOutcome with its reason ('routed-budget-denials-unjudged').
        'god-routed-budget-denial-unjudged.json',
        // A requeue and a cancel that found the run's worker dead (its activity timed out with the
        // cancel pending): requeued and cancelled ('stopped-while-cancelling-is-cancelled'), and
        // both dead-lettered as before it.
        'requeue-finds-worker-dead.json',
        'cancel-finds-worker-dead.json',
        'requeue-finds-worker-dead-unpatched.json',
        'cancel-finds-worker-dead-unpatched.json',
        // God through a frontend outage: a tick whose runway read failed admits nothing
        // ('god-admits-on-fresh-runway'), a failed reconcile is tried again next tick
        // ('god-survives-failed-reconcile'); and before them, admitting on the old runway, failing God.
        'god-admits-on-fresh-runway.json',
        'god-survives-failed-reconcile.json',
        'god-admitted-on-stale-runway-unpatched.json',
        'god-failed-on-reconcile-unpatched.json',
        // A run whose specialist left the roster (a spawned one, God's roster unread) hands the task
        // on ('missing-specialist-reassigns'); before it, the task was dead-lettered.
        'reassigned-missing-specialist.json',
        'dead-lettered-missing-specialist-unpatched.json',
        // God backing off a task whose assessment keeps failing ('god-backs-off-failed-assessments'),
        // and before it, retrying it every tick.
        'god-backs-off-failed-assessments.json',
        'god-retried-failed-assessments-unpatched.json',
        // God's children refusing an id a closed workflow had ('god-children-reject-closed-ids');
        // every God fixture above starts its children without it.
        'god-children-reject-closed-ids.json',
        // …and keeping that id known once dropped, so a resubmission is told so ('duplicate-ids-stay-known').
        'god-duplicate-ids-stay-known.json',
        // An approved review keeping the route the reviewer approved ('approved-review-keeps-its-route').
        'god-approved-review-keeps-route.json',
        // A task whose keywords tie two roster specialists routed to the rules' pick, not a spawn
        // ('keyword-match-never-spawns'); the spawn test's fixtures above spawn for a task no keyword matched.
        'god-keyword-tie-routes.json',
      ]),
    );
  });

  it.each([
    ['dead-lettered-task.json', 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED'],
    ['budget-exceeded-task.json', 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED'],
    ['dead-lettered-task-failed.json', 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED'],
    ['budget-exceeded-task-failed.json', 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED'],
  ])('guards both shapes of a failed task: %s closes with %s', (file, closeEvent) => {
    const { events } = JSON.parse(fs.readFileSync(path.join(HISTORY_FIXTURES, file), 'utf8')) as { events: Array<{ eventType: string }> };
    expect(events.at(-1)!.eventType).toBe(closeEvent);
  });

  describe('against the current workflow code', () => {
    // One replay worker for every fixture (a worker per history cost a second each): the SDK
    // replays them one at a time, in order, each its own run, and says how each ended.
    const outcomes = new Map<string, ReplayResult>();
    beforeAll(async () => {
      const histories = fixtures.map((file) => ({ history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORY_FIXTURES, file), 'utf8'))), workflowId: fixtureWorkflowId(file) }));
      let i = 0;
      for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: process.env.PANTHEON_TEST_BUNDLE! } }, histories)) outcomes.set(fixtures[i++], result);
    }, 300_000);

    it.each(fixtures)('replays %s without non-determinism', (file) => {
      const outcome = outcomes.get(file);
      if (!outcome) throw new Error(`${file}: the replay worker gave no result for it`);
      if (outcome.error) throw outcome.error;
    });
  });
});
