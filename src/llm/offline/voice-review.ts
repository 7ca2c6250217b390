import { choose, hashString } from './prng';
import { unitsOf, type Voice } from './voice';
import { clip, topicWords } from './words';

/** CodeReviewAgent: answers with findings located by file and line, rated, with a fix. */

type Severity = 'HIGH' | 'MEDIUM' | 'LOW';

const CONCERNS: Record<Severity, ReadonlyArray<readonly [issue: string, fix: string]>> = {
  HIGH: [
    ['user-controlled input reaches a query without validation', 'bind parameters and validate the input at the boundary'],
    ['credentials from the request are written to the error log', 'redact secrets before logging and rotate the exposed keys'],
  ],
  MEDIUM: [
    ['an expensive call repeats for every element of the loop', 'batch the calls and cache the shared lookup'],
    ['shared state is mutated without a lock, so concurrent calls race', 'guard the state or make the update atomic'],
  ],
  LOW: [
    ['errors are swallowed, so callers never learn the operation failed', 'rethrow with context or return a typed failure'],
    ['naming diverges from the module convention and hides intent', 'rename to match the surrounding code'],
  ],
};

function severityOf(item: string): Severity {
  if (/secur|auth|inject|password|secret|credential|token|xss|csrf|sql|permission/i.test(item)) return 'HIGH';
  if (/perf|slow|leak|memory|race|concurren|lock|cache|latency|loop/i.test(item)) return 'MEDIUM';
  return 'LOW';
}

interface Finding {
  severity: Severity;
  location: string;
  issue: string;
  fix: string;
}

function findingFor(item: string): Finding {
  const severity = severityOf(item);
  const [area, file] = topicWords(item);
  const location = `src/${area ?? 'core'}/${file ?? 'index'}.ts:${12 + (hashString(item) % 380)}`;
  const [issue, fix] = choose(CONCERNS[severity], item);
  return { severity, location, issue, fix };
}

export const reviewVoice: Voice = {
  note: ({ step, total, item }) => {
    const f = findingFor(item);
    return (
      `Step ${step} of ${total}: reviewed ${clip(item, 50)}. Finding [${f.severity}] ${f.location}: ${f.issue}. ` +
      `Recommendation: ${f.fix}.`
    );
  },
  finalNote: (outline, total) => {
    const findings = unitsOf(outline).map(findingFor);
    const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
    return (
      `Step ${total} of ${total}: review complete with ${findings.length} finding(s): ${count('HIGH')} high, ` +
      `${count('MEDIUM')} medium, ${count('LOW')} low. High-severity findings should block the merge until fixed.`
    );
  },
  result: (outline) => ({
    head: [`Code review: ${clip(outline.title, 80)}`],
    body: unitsOf(outline)
      .map(findingFor)
      .map((f) => `- [${f.severity}] ${f.location} ${f.issue}. Fix: ${f.fix}.`),
    tail: [],
    omitted: (n) => `- ${n} more finding(s) omitted for length`,
  }),
};
