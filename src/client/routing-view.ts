import { FAILING_BELOW_SUCCESS, RECOVERY_RUN, successMean, type ArmStats } from '../routing/policy/arm-stats';
import { probeShareOf, sidelined } from '../routing/policy/choose';
import { losingRun, SIDELINE_ENDS_AFTER, SIDELINED_PROBE_SHARE } from '../routing/policy/sideline';
import { diffPolicies, type PolicyDiff } from '../routing/policy/diff';
import type { RoutingPolicy } from '../routing/policy/types';
import type { RoutingHistoryView, RoutingPolicyView } from '../workflows/god-api';
import { formatSpend } from './budget-view';
import { invalid } from './god-args';

/** How `pantheon routing …` prints the routing policy. Pure. */

const when = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function renderPolicy(view: RoutingPolicyView): string {
  const a = view.active;
  const lines = [
    `active      v${a.version}${a.parent !== undefined ? ` (from v${a.parent})` : ''}, since ${when(a.createdAtMs)}: ${a.reason}`,
    `settings    exploration ${pct(a.explorationShare)} · rule confidence ${a.thresholds.ruleConfidence} · cost weight ${a.thresholds.costWeight} · ${view.sinceRewrite} tasks since the last rewrite`,
  ];
  if (view.candidate) {
    const c = view.candidate;
    lines.push(`candidate   v${c.version} on trial since ${when(c.startedAtMs)}: ${c.canary.tasks} canary / ${c.control.tasks} control tasks — ${c.reason}`);
  } else lines.push('candidate   none');
  if (view.probation) {
    const p = view.probation;
    lines.push(`probation   v${p.version} (replaced v${p.previous}): ${p.after.tasks} tasks watched, baseline success ${pct(p.baseline.successRate)}, ${formatSpend(p.baseline.costPerSuccessUsd)} per success`);
  }
  lines.push('arms (kind / specialist: decayed runs, successes, success estimate, mean cost, mean duration)');
  const kinds = Object.keys(a.arms).sort();
  if (kinds.length === 0) lines.push('  none yet: no routed task has finished');
  for (const kind of kinds) {
    // Whether God holds an arm out also weighs the kind's other arms (choose.ts sidelined); their
    // estimates are God's to know, so here each arm is priced by its record.
    const priced = Object.fromEntries(Object.entries(a.arms[kind]).map(([name, r]) => [name, r.costMeanUsd]));
    const input = { kind, arms: Object.keys(priced), estimatedCostUsd: priced, value: 1, sideline: true };
    for (const [arm, s] of Object.entries(a.arms[kind]).sort((x, y) => x[0].localeCompare(y[0]))) {
      const held = sidelined(a, input, arm);
      lines.push(`  ${`${kind} / ${arm}`.padEnd(36)} n=${s.n.toFixed(1)} ok=${s.successes.toFixed(1)} p=${pct(successMean(s))} ${formatSpend(s.costMeanUsd)} ${(s.durationMeanMs / 1000).toFixed(1)}s${armNotes(s, held)}`);
    }
  }
  lines.push('rules');
  for (const [specialist, keywords] of Object.entries(a.rules).sort((x, y) => x[0].localeCompare(y[0]))) lines.push(`  ${specialist.padEnd(20)} ${keywords.join(', ')}`);
  return lines.join('\n');
}

/** What the change detector holds of an arm: its failure run, sidelining, a change, the quarantine and the way back. */
function armNotes(s: ArmStats, held: boolean): string {
  const notes: string[] = [];
  if (s.failStreak) notes.push(`${s.failStreak} failed in a row`);
  const losing = losingRun(s);
  const run = losing && `${losing.failures} of its last ${losing.runs} failed, p=${losing.p.toFixed(3)} under its ${pct(losing.before)} record before them`;
  if (run && held) notes.push(`sidelined: ${run}; probed at ${pct(SIDELINED_PROBE_SHARE)} until ${SIDELINE_ENDS_AFTER} successes in a row`);
  else if (run) notes.push(`losing run: ${run}; not sidelined, no other arm is worth more were it failing`);
  if (s.changed) {
    notes.push('changed');
    // Quarantined unless its runs in flight say otherwise (those are God's to count, not shown here).
    if (successMean(s) < FAILING_BELOW_SUCCESS) notes.push('quarantined');
    if (s.winStreak !== undefined) notes.push(`probed at ${pct(probeShareOf(s))}, ${s.winStreak} of ${RECOVERY_RUN} successes in a row back`);
  }
  return notes.length > 0 ? ` · ${notes.join(', ')}` : '';
}

export function renderHistory(view: RoutingHistoryView): string {
  const lines = ['versions'];
  for (const v of view.versions) lines.push(`  v${v.version}${v.status === 'earlier' ? '' : ` (${v.status})`}  ${when(v.createdAtMs)}  ${v.reason}`);
  lines.push('audit (oldest first)');
  for (const e of view.audit) lines.push(`  ${when(e.atMs)}  ${e.kind.padEnd(11)} v${e.version}${e.by ? ` by ${e.by}` : ''}: ${e.detail}`);
  return lines.join('\n');
}

/** The diff of two kept versions; a version God no longer keeps is an error naming it. */
export function diffVersions(view: RoutingHistoryView, a: number, b: number): PolicyDiff {
  const find = (v: number, field: string) => {
    const p = view.versions.find((x) => x.version === v);
    if (!p) throw invalid(field, `no policy v${v} (kept: ${view.versions.map((x) => `v${x.version}${x.status === 'earlier' ? '' : ` (${x.status})`}`).join(', ')})`);
    return { ...p, arms: {} } as RoutingPolicy;
  };
  return diffPolicies(find(a, '<a>'), find(b, '<b>'));
}

export function renderDiff(d: PolicyDiff): string {
  const lines = [`v${d.from} → v${d.to}`];
  if (d.rules.length === 0 && d.settings.length === 0) lines.push('  no rule or setting changed');
  for (const r of d.rules) lines.push(`  rules ${r.specialist}: ${[...r.added.map((k) => `+${k}`), ...r.dropped.map((k) => `-${k}`)].join(' ')}`);
  // Settings are derived by arithmetic (0.1 × 0.8): shown rounded, not as 0.08000000000000002.
  const shown = (x: number) => String(Number(x.toPrecision(6)));
  for (const s of d.settings) lines.push(`  ${s.name}: ${shown(s.from)} → ${shown(s.to)}`);
  return lines.join('\n');
}
