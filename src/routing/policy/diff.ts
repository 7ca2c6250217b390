import type { RoutingPolicy } from './types';

/**
 * What changed between two policy versions, as `pantheon routing diff <a> <b>` prints it: keyword
 * rules added and dropped per specialist, thresholds and the exploration share. Arm statistics are
 * evidence, not choices, and are not diffed. Pure.
 */
export interface PolicyDiff {
  from: number;
  to: number;
  rules: Array<{ specialist: string; added: string[]; dropped: string[] }>;
  settings: Array<{ name: string; from: number; to: number }>;
}

export function diffPolicies(a: RoutingPolicy, b: RoutingPolicy): PolicyDiff {
  const rules: PolicyDiff['rules'] = [];
  for (const specialist of [...new Set([...Object.keys(a.rules), ...Object.keys(b.rules)])].sort()) {
    const before = new Set(a.rules[specialist] ?? []);
    const after = new Set(b.rules[specialist] ?? []);
    const added = [...after].filter((k) => !before.has(k));
    const dropped = [...before].filter((k) => !after.has(k));
    if (added.length || dropped.length) rules.push({ specialist, added, dropped });
  }
  const settings: PolicyDiff['settings'] = [];
  const compare = (name: string, x: number, y: number) => x !== y && settings.push({ name, from: x, to: y });
  compare('ruleConfidence', a.thresholds.ruleConfidence, b.thresholds.ruleConfidence);
  compare('costWeight', a.thresholds.costWeight, b.thresholds.costWeight);
  compare('explorationShare', a.explorationShare, b.explorationShare);
  return { from: a.version, to: b.version, rules, settings };
}
