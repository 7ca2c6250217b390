import { WorkflowNotFoundError } from '@temporalio/client';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findTemporalCli } from '../../src/runtime/temporal-cli';
import { runCli, startCli, type CliResult } from '../support/cli';
import { startHarness, testAddress, type Harness } from '../support/harness';
import { cliUntilListed } from '../support/visibility';
import { TaskCostUsd, TaskIterations, TaskSpecialist, TaskStatus } from '../../src/workflows/search-attributes';

let h: Harness;
let env: Record<string, string>;

beforeAll(async () => {
  h = await startHarness('cli');
  env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: h.taskQueue };
});

afterAll(async () => {
  await h?.stop();
});

async function expectNotStarted(workflowId: string): Promise<void> {
  await expect(h.client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
}

const unique = (name: string) => `cli-${name}-${Date.now()}`;

describe('pantheon CLI', () => {
  it('submits a task, waits, and prints the result, status and cost', async () => {
    const id = unique('ok');
    const run = await runCli(['submit', 'Add a unique index on users.email in the Postgres database', '--wait', '--id', id], env);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`started ${id}`);
    expect(run.stdout).toContain(`/namespaces/default/workflows/${id}`);
    expect(run.stdout).toMatch(/status\s+completed/);
    expect(run.stdout).toMatch(/specialist\s+DatabaseAgent/);
    expect(run.stdout).toMatch(/cost\s+\$0\.\d+ \(\d+ tokens\)/);

    // Independent reads, run side by side.
    const [status, asJson, list] = await Promise.all([
      runCli(['status', id], env),
      // The same facts for a script.
      runCli(['status', id, '--json'], env),
      cliUntilListed(['list', '--status', 'completed', '--limit', '50'], env, (out) => out.includes(id)),
    ]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/status\s+completed/);
    expect(asJson.code).toBe(0);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ taskId: id, execution: 'completed', state: { status: 'completed', specialist: 'DatabaseAgent', costUsd: expect.any(Number) } });
    expect(list.stdout).toContain(id);

    // Once visibility lists the task: the overview counts it.
    const [overview, overviewJsonRun] = await Promise.all([runCli(['status'], env), runCli(['status', '--json'], env)]);
    expect(overview.code).toBe(0);
    expect(overview.stdout).toMatch(/completed\s+\d+/);
    const overviewJson = JSON.parse(overviewJsonRun.stdout);
    expect(overviewJson.counts.completed).toBeGreaterThanOrEqual(1);
    expect(overviewJson.seen).toBeGreaterThanOrEqual(overviewJson.counts.completed);
  });

  it('Ctrl-C during submit --wait stops the wait, not the task, and says so (exit 130)', async () => {
    const id = unique('interrupted');
    h.provider.addFault({ kind: 'slow', delayMs: 3000, match: { task: id, purpose: 'specialist' }, times: 1 });
    const waiting = startCli(['submit', 'Add an index on orders.customer_id in the Postgres database', '--direct', '--wait', '--id', id], env);
    for (let i = 0; i < 300 && !waiting.output().stdout.includes(`started ${id}`); i++) await new Promise((r) => setTimeout(r, 100));
    waiting.kill('SIGINT');
    const run = await waiting.done;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain(`stopped waiting (SIGINT): task ${id} goes on; see it with: npm run pantheon -- status ${id}`);
    // It did go on.
    expect(((await h.client.workflow.getHandle(id).result()) as { status: string }).status).toBe('completed');
  });

  it('runs a task id once: a second submit of an ended task starts nothing and waits for the first', async () => {
    const id = unique('once');
    const first = await runCli(['submit', 'Add an index on orders.created_at in the Postgres database', '--wait', '--id', id], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/status\s+completed/);
    const { runId } = await h.client.workflow.getHandle(id).describe();

    const again = await runCli(['submit', 'Add an index on orders.created_at in the Postgres database', '--wait', '--id', id], env);

    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`task ${id} already exists (completed`);
    expect(again.stdout).toContain('nothing new was started');
    expect(again.stdout).not.toContain(`started ${id}`);
    // --wait still answers with the task the id names.
    expect(again.stdout).toMatch(/status\s+completed/);
    // The id's latest run is still the first: no second run was started.
    expect((await h.client.workflow.getHandle(id).describe()).runId).toBe(runId);
  });

  it('exits 2 with --wait when the task ends without completing, after printing its outcome and why', async () => {
    const id = unique('vague');
    const run = await runCli(['submit', 'improve the thing from yesterday', '--wait', '--id', id, '--direct'], env);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/status\s+rejected/);
    expect(run.stdout).toMatch(/reasons\s+\S/);
    expect(run.code).toBe(2);
    // Its workflow completed (a rejection is an outcome, not a failure): the header says whose state it shows.
    const status = await runCli(['status', id], env);
    expect(status.stdout).toContain(`task        ${id}  (workflow completed)`);
    expect(status.stdout).toMatch(/status\s+rejected/);
  });

  it('refuses an id that names a workflow other than a task, naming --id', async () => {
    const id = unique('not-a-task');
    await h.client.workflow.start('memoryBackfill', { taskQueue: `${h.taskQueue}-nobody`, workflowId: id, args: [{ taskQueue: h.taskQueue }] });
    try {
      const run = await runCli(['submit', 'Add an index on orders.created_at in the Postgres database', '--id', id, '--direct'], env);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`--id ${id}: already names a memoryBackfill workflow, not a task`));
    } finally {
      await h.client.workflow.getHandle(id).terminate('test over');
    }
  });

  const badInputs: Array<{ name: string; args: string[]; message: RegExp; stdin?: string }> = [
    { name: 'an empty objective', args: ['submit', ''], message: /objective: must be at least 10 characters/ },
    { name: 'an oversized objective', args: ['submit', 'x'.repeat(4001)], message: /objective: must be at most 4000 characters/ },
    { name: 'an unknown specialist', args: ['submit', 'Add a unique index on users.email in Postgres', '--specialist', 'Oracle'], message: /specialist: unknown "Oracle"/ },
    { name: 'a bad priority', args: ['submit', 'Add a unique index on users.email in Postgres', '--priority', 'urgent'], message: /priority: / },
    { name: 'a malformed --input', args: ['submit', 'Add a unique index on users.email in Postgres', '--input', 'novalue'], message: /--input "novalue": expected KEY=VALUE/ },
    { name: 'an unknown field in --json', args: ['submit', '--json', '-'], message: /colour/, stdin: '{"objective":"Add a unique index on users.email","colour":"red"}' },
    { name: 'too many --input', args: ['submit', 'Add a unique index on users.email in Postgres', ...Array.from({ length: 51 }, (_, i) => ['--input', `t${i}=users`]).flat()], message: /inputs: at most 50 inputs \(got 51\)/ },
    { name: 'malformed JSON', args: ['submit', '--json', '-'], message: /--json -: not valid JSON/, stdin: '{"objective": ' },
  ];

  // Concurrent: each case is its own process and id (named by the case: the cases start together),
  // and needs nothing from the others; the file's beforeAll has run before they start.
  it.concurrent.each(badInputs)('rejects $name with a message naming the field, exit 1, and starts nothing', async ({ name, args, message, stdin }) => {
    const id = unique(`bad-${name.replace(/\W+/g, '-')}`);
    const run = await runCli([...args, '--id', id], env, stdin);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
    await expectNotStarted(id);
  });

  it('refuses a list --status that is no task status, naming the field and the statuses there are (not "no tasks match")', async () => {
    const run = await runCli(['list', '--status', 'bogus'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--status: "bogus" is no task status; one of queued, .*waiting_budget.*, completed, rejected, dead_lettered, cancelled, budget_exceeded/);
    expect(run.stdout).toBe('');
    // An empty value (an unset shell variable) is refused too, not ignored (which listed every task).
    const [status, specialist] = await Promise.all([runCli(['list', '--status', ''], env), runCli(['list', '--specialist', ''], env)]);
    expect({ code: status.code, stdout: status.stdout }).toEqual({ code: 1, stdout: '' });
    expect(status.stderr).toMatch(/--status: "" is no task status/);
    expect({ code: specialist.code, stdout: specialist.stdout }).toEqual({ code: 1, stdout: '' });
    expect(specialist.stderr).toMatch(/--specialist: "" may hold only letters, digits, _ and -/);
  });

  it('lists and counts a task whose workflow was terminated as terminated, not as the running status it last upserted', async () => {
    const id = unique('terminated');
    const mine = `Terminated${Date.now()}`;
    // What a terminate leaves: PantheonStatus as the task last set it (no worker polls this queue).
    await h.client.workflow.start('agentTask', {
      taskQueue: `${h.taskQueue}-nobody`,
      workflowId: id,
      args: [{ objective: 'Add an index on orders.customer_id in the Postgres database' }],
      // A specialist name of its own: the lists below find it among other files' hundreds of tasks.
      typedSearchAttributes: [{ key: TaskStatus, value: 'running' }, { key: TaskSpecialist, value: mine }, { key: TaskCostUsd, value: 0.006485 }, { key: TaskIterations, value: 3 }],
    });
    await cliUntilListed(['list', '--status', 'running', '--specialist', mine], env, (out) => out.includes(id));
    await h.client.workflow.getHandle(id).terminate('test: stopped\nfrom outside');

    // Independent reads, run side by side: status <id> (text and JSON), and list until visibility has the terminate.
    const shownAsTerminated = (out: string) => new RegExp(`^${id}\\s+terminated\\s`, 'm').test(out);
    const [status, statusJson] = await Promise.all([
      runCli(['status', id], env),
      runCli(['status', id, '--json'], env),
      cliUntilListed(['list', '--specialist', mine], env, shownAsTerminated),
    ]);
    // status <id>: what list shows of it, and who terminated it and why (the terminate event's identity and reason).
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^task\\s+${id}  \\(workflow terminated\\)\nweb ui .*\nstatus\\s+terminated \\(last recorded: running\\)\nspecialist\\s+${mine}\niterations\\s+3\ncost\\s+\\$0\\.006485\nstopped\\s+terminated by \\S+: "test: stopped from outside"\n$`));
    const asJson = JSON.parse(statusJson.stdout);
    expect(asJson).toMatchObject({
      taskId: id,
      execution: 'terminated',
      status: 'terminated',
      recorded: { status: 'running', specialist: mine, costUsd: 0.006485, iterations: 3 },
      stopped: { how: 'terminated', by: expect.any(String), reason: 'test: stopped from outside' },
    });

    // Once visibility has it: the filtered lists and the overview, side by side.
    const [asTerminated, asRunning, overviewRun] = await Promise.all([
      runCli(['list', '--status', 'terminated', '--specialist', mine], env),
      runCli(['list', '--status', 'running', '--specialist', mine], env),
      runCli(['status', '--json'], env),
    ]);
    expect(shownAsTerminated(asTerminated.stdout)).toBe(true);
    expect(asRunning.stdout).not.toContain(id);
    const overview = JSON.parse(overviewRun.stdout) as { counts: Record<string, number>; inProgress: Array<{ id: string; status: string }> };
    expect(overview.counts.terminated).toBeGreaterThanOrEqual(1);
    // Every task counted as running is one in progress.
    expect(overview.counts.running ?? 0).toBe(overview.inProgress.filter((row) => row.status === 'running').length);
  });

  it('lists a task no worker has picked up (started around the CLI, on a queue nobody polls) as queued, not running, and list --status queued finds it', async () => {
    const id = unique('unpicked');
    // As `temporal workflow start --task-queue pantheon-task` (a typo) starts it: no PantheonStatus at all.
    await h.client.workflow.start('agentTask', { taskQueue: `${h.taskQueue}-nobody`, workflowId: id, args: [{ objective: 'Add an index on orders.customer_id in the Postgres database' }] });
    try {
      const shownAsQueued = (out: string) => new RegExp(`^${id}\\s+queued\\s`, 'm').test(out);
      const [all, queued] = await Promise.all([
        cliUntilListed(['list', '--limit', '100'], env, (out) => out.includes(id)),
        cliUntilListed(['list', '--status', 'queued', '--limit', '100'], env, (out) => out.includes(id)),
      ]);
      expect(shownAsQueued(all.stdout)).toBe(true);
      expect(shownAsQueued(queued.stdout)).toBe(true);
      const running = await runCli(['list', '--status', 'running', '--limit', '100'], env);
      expect(running.stdout).not.toContain(id);
    } finally {
      await h.client.workflow.getHandle(id).terminate('test over');
    }
  });

  it('status of a task whose workflow timed out shows its recorded attributes and the timeout that passed', async () => {
    const id = unique('timed-out');
    const handle = await h.client.workflow.start('agentTask', {
      taskQueue: `${h.taskQueue}-nobody`,
      workflowId: id,
      args: [{ objective: 'Add an index on orders.customer_id in the Postgres database' }],
      workflowExecutionTimeout: '1s',
      typedSearchAttributes: [{ key: TaskStatus, value: 'queued' }],
    });
    await handle.result().catch(() => undefined);
    const status = await runCli(['status', id], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/\nstatus\s+timed_out \(last recorded: queued\)\nstopped\s+timed out: its execution timeout 1 s, set at its start, passed\n$/);
  });

  it('list --specialist of a name not in agents/ that matches nothing says it may be a typo (exit 0: God may have spawned it)', async () => {
    const run = await runCli(['list', '--specialist', 'DatabseAgent'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^no tasks match \(no specialist "DatabseAgent" in .*agents: a typo, or one God spawned: pantheon god specialists\)\n$/);
  });

  it('status names the task id it cannot show: none by that id, a workflow that is no task, or more than one id', async () => {
    const other = unique('backfill');
    await h.client.workflow.start('memoryBackfill', { taskQueue: `${h.taskQueue}-nobody`, workflowId: other, args: [{ taskQueue: h.taskQueue }] });
    // The three cases side by side.
    let runs: CliResult[];
    try {
      runs = await Promise.all([runCli(['status', other], env), runCli(['status', 'no-such-task-here'], env), runCli(['status', 'a', 'b'], env), runCli(['status', ''], env)]);
    } finally {
      await h.client.workflow.getHandle(other).terminate('test over');
    }
    const [notATask, none, two, empty] = runs;
    // `pantheon status "$ID"` with ID unset: an error, not the overview and exit 0.
    expect(empty.code).toBe(1);
    expect(empty.stdout).toBe('');
    expect(empty.stderr).toMatch(/task-id: an empty id \(argument 1\); an unset shell variable\?\n$/);
    expect(notATask.code).toBe(1);
    expect(notATask.stderr).toMatch(new RegExp(`task-id: "${other}" is a memoryBackfill workflow, not a task`));
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/task-id: no task "no-such-task-here"/);
    expect(two.code).toBe(1);
    expect(two.stderr).toMatch(/task-id: one task at a time, got 2 \("[^"]+" after the first\)\n$/);
  });

  it('status of a cancelled task names who asked for the cancel, and the reason when the request carried one', async () => {
    // The workflow is told only that it was cancelled; the requester and the reason are in its history.
    const cancelRunning = async (id: string, cancel: () => Promise<unknown>) => {
      h.provider.addFault({ kind: 'slow', delayMs: 5_000, match: { task: id, purpose: 'specialist' }, times: 1 });
      expect((await runCli(['submit', 'Add an index on orders.customer_id in the Postgres database', '--direct', '--id', id], env)).code).toBe(0);
      for (let i = 0; i < 200 && !h.provider.calls().some((c) => c.task === id && c.purpose === 'specialist'); i++) await new Promise((r) => setTimeout(r, 100));
      await cancel();
      await h.client.workflow.getHandle(id).result();
      return runCli(['status', id], env);
    };

    const byCli = unique('cancel-cli');
    const byApi = unique('cancel-api');
    const done = unique('cancel-none');
    const cli = await findTemporalCli({ install: false });
    // Three tasks of their own ids, side by side.
    const [viaCli, viaApi, ended] = await Promise.all([
      cancelRunning(byCli, () => promisify(execFile)(cli, ['workflow', 'cancel', '--workflow-id', byCli, '--address', testAddress()])),
      // What the Web UI and API clients send: a reason with the request.
      cancelRunning(byApi, () =>
        h.client.workflowService.requestCancelWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: byApi }, identity: 'ops-console', reason: 'maintenance\nwindow' }),
      ),
      // A task that ended otherwise.
      runCli(['submit', 'Add an index on orders.created_at in the Postgres database', '--direct', '--wait', '--id', done], env),
    ]);
    expect(viaCli.code).toBe(0);
    expect(viaCli.stdout).toMatch(/status\s+cancelled/);
    // The Temporal CLI sends no reason with a single workflow's cancel (its --reason is for batches).
    expect(viaCli.stdout).toMatch(/\ncancel\s+requested by temporal-cli:\S+ \(no reason given\)\n/);

    // The API client's request carried a reason.
    expect(viaApi.stdout).toMatch(/\ncancel\s+requested by ops-console: "maintenance window"\n/);
    const asJson = JSON.parse((await runCli(['status', byApi, '--json'], env)).stdout);
    expect(asJson).toMatchObject({ state: { status: 'cancelled' }, cancelRequest: { by: 'ops-console', reason: 'maintenance window' } });

    // A task that ended otherwise has no such line (and its status reads no history for one).
    expect(ended.stdout).not.toMatch(/\ncancel\s/);
  });

  it("status of a running task shows its specialist run's progress from the run's last checkpoint, before the task's own state has it", async () => {
    const id = unique('live');
    // The task's 3rd and 4th specialist calls take 9 s each (inside the harness's 10 s LLM timeout):
    // the run is mid-way, its checkpoint on the server, its activity not yet returned.
    h.provider.setFaults([{ kind: 'slow', delayMs: 9_000, match: { task: id, purpose: 'specialist' }, calls: [3, 4] }]);
    try {
      const objective = ['Add the tenant columns to the orders table in Postgres', ...[1, 2, 3, 4, 5, 6].map((n) => `- add column c${n} to orders`)].join('\n');
      const started = await runCli(['submit', objective, '--direct', '--specialist', 'DatabaseAgent', '--id', id], env);
      expect(started.code).toBe(0);
      let status = '';
      for (let deadline = Date.now() + 30_000; Date.now() < deadline; ) {
        status = (await runCli(['status', id], env)).stdout;
        if (/live\s+runSpecialist: [2-9] iterations done/.test(status)) break;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      const live = /live\s+runSpecialist: (\d+) iterations done \(checkpointed \d+ s ago\); this run has spent \$(\S+) \((\d+) tokens\), not yet in the cost above/.exec(status);
      expect(live).not.toBeNull();
      const [, iterations, , tokens] = live!;
      // The task's own state has not heard of the run yet: that is why the line is there.
      expect(status).toMatch(/iterations\s+0\n/);
      expect(status).toMatch(/last note: Step \d/);
      // The checkpoint's tokens are the provider's own usage of the run's first calls.
      const billed = h.provider
        .calls()
        .filter((c) => c.task === id && c.purpose === 'specialist')
        .slice(0, Number(iterations))
        .reduce((sum, c) => sum + c.inputTokens + c.outputTokens, 0);
      expect(Number(tokens)).toBe(billed);
    } finally {
      h.provider.setFaults([]);
      await h.client.workflow.getHandle(id).cancel().catch(() => undefined);
    }
  });

  it("status of a task whose specialist run is retried names the provider's error, not the server's stand-in for a failure over its size limit", async () => {
    const id = unique('retry-big');
    // The 15th specialist call answers 500: the run's failure carries its 14 iterations' history
    // (the workflow resumes from it), over the 4 KiB the server keeps of a retried attempt's failure.
    h.provider.setFaults([{ kind: 'server_error', match: { task: id, purpose: 'specialist' }, calls: [15] }]);
    try {
      const objective = ['Add the audit columns to the orders table in Postgres', ...Array.from({ length: 20 }, (_, n) => `- add column audit_${n + 1} to orders, backfill it from the events table in batches of 10,000 rows, and index it concurrently`)].join('\n');
      // The next attempt waits 60 s, so the test reads the task between them.
      const input = { objective, specialist: 'DatabaseAgent', compressEvery: 20, retry: { runSpecialist: { initialIntervalMs: 60_000, maximumIntervalMs: 60_000 } } };
      const started = await runCli(['submit', '--json', '-', '--direct', '--id', id], env, JSON.stringify(input));
      expect(started.code).toBe(0);
      const handle = h.client.workflow.getHandle(id);
      const pending = await (async () => {
        for (let deadline = Date.now() + 60_000; Date.now() < deadline; ) {
          const p = (await handle.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === 'runSpecialist' && (a.attempt ?? 1) > 1);
          if (p?.lastFailure) return p;
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        throw new Error('runSpecialist never reached its second attempt');
      })();
      // What the server keeps: its stand-in, the provider's error as its cause.
      expect(pending.lastFailure?.message).toBe('Failure exceeds size limit.');
      expect(pending.lastFailure?.cause?.applicationFailureInfo?.type).toBe('provider_unavailable');
      const status = await runCli(['status', id], env);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/^retrying {4}runSpecialist: attempt 2 of \d+ in \d+ s; the last failed with provider_unavailable: \S.*500/m);
      expect(status.stdout).not.toContain('size limit');
    } finally {
      h.provider.setFaults([]);
      await h.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    }
  });

  it("submit --wait tells a long task's specialist progress on stderr, each advance once", async () => {
    const id = unique('wait-progress');
    // The first call outlasts the 10 s before progress is told (a run at 0 iterations then: nothing to tell), the next two advance it.
    h.provider.setFaults([
      { kind: 'slow', delayMs: 11_000, match: { task: id, purpose: 'specialist' }, calls: [1] },
      { kind: 'slow', delayMs: 5_000, match: { task: id, purpose: 'specialist' }, calls: [2, 3] },
    ]);
    try {
      const objective = ['Add the region columns to the orders table in Postgres', ...[1, 2, 3, 4, 5].map((n) => `- add column r${n} to orders`)].join('\n');
      const run = await runCli(['submit', objective, '--direct', '--specialist', 'DatabaseAgent', '--id', id, '--wait'], env);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/status\s+completed/);
      const lines = run.stderr.split('\n').filter((line) => line.startsWith('progress'));
      expect(lines.length).toBeGreaterThan(0);
      // (The first call may outlast the harness's LLM timeout: the run is then on its second attempt.)
      for (const line of lines) expect(line).toMatch(/^progress    runSpecialist(, attempt \d+)?: \d+ iterations? done; this run has spent \$0\.\d+ \(\d+ tokens\)$/);
      // No line for a run that has done nothing yet.
      expect(lines.filter((line) => / 0 iterations done/.test(line))).toEqual([]);
      // Each advance is told once.
      expect(new Set(lines).size).toBe(lines.length);
    } finally {
      h.provider.setFaults([]);
    }
  }, 60_000);

  it('dlq redrive names the task id it cannot redrive (none by that id, a chain, another workflow) and starts nothing; dlq list takes no ids, and dlq alone lists', async () => {
    const chain = unique('chain');
    const other = unique('backfill');
    await h.client.workflow.start('taskChain', { taskQueue: `${h.taskQueue}-nobody`, workflowId: chain, args: [{ task: { objective: 'Add an index on orders.created_at in Postgres' }, plan: ['ResearchAgent', 'DatabaseAgent'] }] });
    await h.client.workflow.start('memoryBackfill', { taskQueue: `${h.taskQueue}-nobody`, workflowId: other, args: [{ taskQueue: h.taskQueue }] });
    try {
      const cases: Array<[string, RegExp]> = [
        ['no-such-task-here', /task-id: no task "no-such-task-here"/],
        [chain, new RegExp(`task-id: "${chain}" is a chain; redrive its dead-lettered step`)],
        [other, new RegExp(`task-id: "${other}" is a memoryBackfill workflow, not a task`)],
        // An unset shell variable: refused naming the field, not the server's "WorkflowId is not set".
        ['', /task-id: an empty id \(argument 1\)/],
      ];
      // The cases side by side, each its own process.
      const runs = await Promise.all(cases.map(([id]) => runCli(['dlq', 'redrive', id], env)));
      for (const [i, [id, message]] of cases.entries()) {
        expect(runs[i].code).toBe(1);
        expect(runs[i].stderr).toMatch(message);
        await expectNotStarted(`${id}-redrive`);
      }
    } finally {
      for (const id of [chain, other]) await h.client.workflow.getHandle(id).terminate('test over');
    }
    const [list, bare] = await Promise.all([runCli(['dlq', 'list', 'extra'], env), runCli(['dlq', '--limit', '1'], env)]);
    expect(list.code).toBe(1);
    expect(list.stderr).toMatch(/dlq list: takes no task ids \(got "extra"\)/);
    // No subcommand lists, as budget, review and routing show.
    expect({ code: bare.code, stderr: bare.stderr }).toEqual({ code: 0, stderr: '' });
    expect(bare.stdout).toMatch(/^(no dead-lettered tasks|\S+  \$[\d.]+  tried )/);
  });

  it('dlq redrive refuses task ids given with --all (it ignored them), naming the field', async () => {
    const run = await runCli(['dlq', 'redrive', '--all', 'some-task'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/dlq redrive: give task ids or --all, not both \("some-task" with --all\)/);
  });

  it('rejects an unknown command with the usage', async () => {
    const run = await runCli(['launch'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/unknown command "launch"/);
    expect(run.stderr).toMatch(/pantheon submit/);
  });
});
