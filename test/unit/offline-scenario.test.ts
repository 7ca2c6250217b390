import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { judge, kindOfText, loadScenarioFromEnv, parseScenario, ruleFor, SCENARIO_ENV, type Scenario } from '../../src/llm/offline/scenario';
import { specialistAnswer } from '../../src/llm/offline/specialist-answer';
import type { ChatMessage } from '../../src/llm/types';

/** The offline provider's routing scenario, pure parts: kinds, rules, verdicts and loading. */

const SCENARIO: Scenario = {
  seed: 7,
  kinds: { database: '\\b(sql|postgres)\\b', research: 'compare' },
  rules: [
    { specialist: 'DatabaseAgent', kind: 'database', successRate: 0.9, costFactor: 1 },
    { specialist: 'DatabaseAgent', successRate: 0.2, costFactor: 2 },
    { specialist: 'Generalist', successRate: 0.5, costFactor: 0.5 },
  ],
};

describe('task kinds', () => {
  it('reads an explicit [kind: …] label before any pattern, and a pattern when there is no label', () => {
    expect(kindOfText(SCENARIO, 'TASK\nTune the Postgres query\n\nINPUTS\nbench: [kind: research]')).toBe('research');
    expect(kindOfText(SCENARIO, 'TASK\nTune the Postgres query')).toBe('database');
    expect(kindOfText(SCENARIO, 'TASK\nWrite the on-call runbook')).toBeUndefined();
  });

  it("prefers the kind's own rule, then the specialist's kindless rule, and has none for an unknown specialist", () => {
    expect(ruleFor(SCENARIO, 'DatabaseAgent', 'database')?.successRate).toBe(0.9);
    expect(ruleFor(SCENARIO, 'DatabaseAgent', 'research')?.successRate).toBe(0.2);
    expect(ruleFor(SCENARIO, 'DatabaseAgent', undefined)?.successRate).toBe(0.2);
    expect(ruleFor(SCENARIO, 'ResearchAgent', 'research')).toBeUndefined();
  });
});

describe('verdicts', () => {
  const text = 'TASK\nTune the Postgres query';

  it('gives a task the same verdict on every call, and a success share close to the rate over many tasks', () => {
    const once = judge(SCENARIO, { specialist: 'DatabaseAgent', task: 'task-1' }, text);
    expect(judge(SCENARIO, { specialist: 'DatabaseAgent', task: 'task-1' }, text)).toEqual(once);
    const wins = Array.from({ length: 2000 }, (_, i) => judge(SCENARIO, { specialist: 'DatabaseAgent', task: `t-${i}` }, text)!.success).filter(Boolean).length;
    expect(wins / 2000).toBeGreaterThan(0.87);
    expect(wins / 2000).toBeLessThan(0.93);
  });

  it('draws differently under another seed, and a changed rate moves only the threshold', () => {
    const draws = (seed: number) => Array.from({ length: 20 }, (_, i) => judge({ ...SCENARIO, seed }, { specialist: 'DatabaseAgent', task: `t-${i}` }, text)!.draw);
    expect(draws(8)).not.toEqual(draws(7));
    const lowered: Scenario = { ...SCENARIO, rules: [{ specialist: 'DatabaseAgent', kind: 'database', successRate: 0.1, costFactor: 1 }] };
    for (let i = 0; i < 50; i++) {
      const before = judge(SCENARIO, { specialist: 'DatabaseAgent', task: `t-${i}` }, text)!;
      const after = judge(lowered, { specialist: 'DatabaseAgent', task: `t-${i}` }, text)!;
      expect(after.draw).toBe(before.draw);
      if (after.success) expect(before.success).toBe(true);
    }
  });

  it('judges nothing for a specialist the scenario does not mention', () => {
    expect(judge(SCENARIO, { specialist: 'CodeReviewAgent', task: 't' }, text)).toBeUndefined();
  });
});

describe('a failing specialist', () => {
  it('does the work items but never delivers: its final step stays "continue"', () => {
    const answered = (stuck: boolean) => {
      const messages: ChatMessage[] = [{ role: 'user', content: 'TASK\nAdd two indexes\n- created_at\n- status' }];
      const steps = [];
      for (let i = 0; i < 5; i++) {
        const step = specialistAnswer('DatabaseAgent', messages, undefined, stuck);
        steps.push(step.status);
        if (step.status === 'done') break;
        messages.push({ role: 'assistant', content: JSON.stringify(step) }, { role: 'user', content: 'Continue with the next step.' });
      }
      return steps;
    };
    expect(answered(false)).toEqual(['continue', 'continue', 'done']);
    expect(answered(true)).toEqual(['continue', 'continue', 'continue', 'continue', 'continue']);
  });
});

describe('loading', () => {
  it('reads inline JSON or a file from PANTHEON_OFFLINE_SCENARIO, and names the bad field', () => {
    expect(loadScenarioFromEnv({})).toBeUndefined();
    expect(loadScenarioFromEnv({ [SCENARIO_ENV]: JSON.stringify(SCENARIO) })).toEqual(SCENARIO);
    const dir = mkdtempSync(path.join(tmpdir(), 'scenario-'));
    try {
      const file = path.join(dir, 'scenario.json');
      writeFileSync(file, JSON.stringify(SCENARIO));
      expect(loadScenarioFromEnv({ [SCENARIO_ENV]: file })).toEqual(SCENARIO);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => parseScenario({ rules: [{ specialist: 'X', successRate: 1.5, costFactor: 1 }] }, 'scenario')).toThrow(/scenario.rules\[0\].successRate/);
    expect(() => parseScenario({ rules: [{ specialist: 'X', successRate: 1, costFactor: 0 }] }, 'scenario')).toThrow(/costFactor/);
    expect(() => parseScenario({ rules: [], kinds: { database: '(' } }, 'scenario')).toThrow(/regular expression/);
  });
});
