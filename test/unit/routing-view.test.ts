import { diffVersions, renderDiff, renderHistory, renderPolicy } from '../../src/client/routing-view';
import { emptyArm, observeArm } from '../../src/routing/policy/arm-stats';
import { seedBook } from '../../src/routing/policy/book';
import { routingHistoryView, routingPolicyView } from '../../src/god/routing';

/** What `pantheon routing show|history|diff` print (src/client/routing-view.ts). */

const T0 = Date.parse('2026-12-01T00:00:00Z');
const v1 = seedBook({ rules: { DatabaseAgent: ['sql', 'postgres'], ResearchAgent: ['research'] }, nowMs: T0, seed: 1 });
const book = {
  ...v1,
  active: { ...v1.active, version: 2, parent: 1, reason: 'rewrite after 50 tasks', rules: { DatabaseAgent: ['sql', 'index'], ResearchAgent: ['research'] }, explorationShare: 0.08, arms: { database: { DatabaseAgent: { n: 4, successes: 3, failures: 1, costMeanUsd: 0.012, costM2: 0, durationMeanMs: 4000 } } } },
  history: [v1.active],
  lastVersion: 2,
};

describe('pantheon routing views', () => {
  it('shows the active version, its settings, arms with statistics and rules', () => {
    const out = renderPolicy(routingPolicyView(book, 60));
    expect(out).toMatch(/^active\s+v2 \(from v1\)/m);
    expect(out).toMatch(/exploration 8\.0%/);
    expect(out).toMatch(/database \/ DatabaseAgent\s+n=4\.0 ok=3\.0 p=66\.7% \$0\.0120 4\.0s$/m); // nothing flagged: no notes
    expect(out).toMatch(/^  DatabaseAgent\s+sql, index$/m);
  });

  it("prices a cheap arm and a cheap baseline to the millionth of a dollar, not as $0.0001 or $0.0000", () => {
    const cheap = { n: 3, successes: 3, failures: 0, costMeanUsd: 0.000051, costM2: 0, durationMeanMs: 1000 };
    const probation = { version: 2, previous: 1, after: { tasks: 4 }, baseline: { successRate: 0.9, costPerSuccessUsd: 0.000042 } };
    const out = renderPolicy({ ...routingPolicyView({ ...book, active: { ...book.active, arms: { database: { DatabaseAgent: cheap } } } }, 60), probation } as Parameters<typeof renderPolicy>[0]);
    expect(out).toMatch(/database \/ DatabaseAgent\s+n=3\.0 ok=3\.0 p=\S+ \$0\.000051 1\.0s/);
    expect(out).toContain('$0.000042 per success');
  });

  it('says which arms the change detector flagged: quarantined, how often probed, and how far back', () => {
    const changed = { n: 4, successes: 1, failures: 3, costMeanUsd: 0.002, costM2: 0, durationMeanMs: 1000, failStreak: 0, changed: true as const, winStreak: 1, failedSinceChange: 1 };
    const streak = { n: 10, successes: 8, failures: 2, costMeanUsd: 0.001, costM2: 0, durationMeanMs: 1000, failStreak: 2 };
    const out = renderPolicy(routingPolicyView({ ...book, active: { ...book.active, arms: { database: { DatabaseAgent: changed, Generalist: streak } } } }, 60));
    expect(out).toMatch(/database \/ DatabaseAgent .* · changed, quarantined, probed at 10\.0%, 1 of 3 successes in a row back$/m);
    expect(out).toMatch(/database \/ Generalist .* · 2 failed in a row$/m);
  });

  it('says which arm is sidelined, and which arm on a losing run is not because no other arm would be worth more were it failing', () => {
    const keep = { recovers: true, recentRuns: true };
    let losing = emptyArm();
    for (const ok of 'SSFSSSSSSSSSSSSSSSSSFF') losing = observeArm(losing, { success: ok === 'S', costUsd: 0.001, durationMs: 1000 }, undefined, keep);
    const other = (costMeanUsd: number) => ({ n: 10, successes: 7, failures: 3, costMeanUsd, costM2: 0, durationMeanMs: 1000 });
    const render = (otherCostUsd: number) => renderPolicy(routingPolicyView({ ...book, active: { ...book.active, arms: { database: { DatabaseAgent: losing, Generalist: other(otherCostUsd) } } } }, 60));
    // The Generalist as cheap: the DatabaseAgent failing (17 %) is worth less than it (68 %).
    expect(render(0.001)).toMatch(/database \/ DatabaseAgent .* · 2 failed in a row, sidelined: 2 of its last 2 failed, p=0\.0\d\d under its 9\d\.\d% record before them; probed at 40\.0% until 2 successes in a row$/m);
    // The Generalist ten times dearer: even failing the DatabaseAgent is worth more per dollar.
    expect(render(0.01)).toMatch(/database \/ DatabaseAgent .* · 2 failed in a row, losing run: 2 of its last 2 failed, .*; not sidelined, no other arm is worth more were it failing$/m);
  });

  it('diffs rules and settings between two kept versions, and names the argument of one not kept', () => {
    const history = routingHistoryView(book);
    expect(history.versions.map((v) => `${v.version}:${v.status}`)).toEqual(['1:earlier', '2:active']);
    expect(renderHistory(history)).toMatch(/seeded\s+v1: seeded from the roster/);
    const d = diffVersions(history, 1, 2);
    expect(d.rules).toEqual([{ specialist: 'DatabaseAgent', added: ['index'], dropped: ['postgres'] }]);
    expect(renderDiff(d)).toBe('v1 → v2\n  rules DatabaseAgent: +index -postgres\n  explorationShare: 0.1 → 0.08');
    expect(() => diffVersions(history, 1, 9)).toThrow(/<b>: no policy v9 \(kept: v1, v2 \(active\)\)/);
  });
});
