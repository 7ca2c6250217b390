import { printSummary } from '../../src/demo/progress';
import type { ChainState } from '../../src/tasks/chain';
import type { TaskState } from '../../src/workflows/task-state';

function printed(states: Map<string, TaskState | ChainState>): string[] {
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(...args.join(' ').split('\n'));
  });
  try {
    printSummary(states);
  } finally {
    spy.mockRestore();
  }
  return lines.filter((l) => l.trim() !== '');
}

const task = (status: string, specialist: string | undefined, iteration: number, costUsd: number, why: string) =>
  ({ status, specialist, iteration, costUsd, reasons: [why] }) as unknown as TaskState;
const chain = (plan: string[], iterations: number[], costUsd: number) =>
  ({ status: 'completed', plan, steps: iterations.map((n) => ({ iterations: n })), costUsd, reasons: ['step 1/2 completed'] }) as unknown as ChainState;

describe('the demo summary table', () => {
  it('keeps every column in line when a cell is longer than its header (a chain\'s plan, budget_exceeded)', () => {
    const lines = printed(
      new Map<string, TaskState | ChainState>([
        ['vague', task('rejected', undefined, 0, 0, 'objective is vague')],
        ['warehouse-backfill', task('budget_exceeded', 'DatabaseAgent', 14, 0.0164, 'over its token limit')],
        ['sharding-chain', chain(['ResearchAgent', 'DatabaseAgent'], [2, 2], 0.0027)],
      ]),
    );
    const [header, ...rest] = lines;
    const rows = rest.filter((l) => !l.includes('total cost'));
    expect(rows).toHaveLength(3);
    // Each column starts where its header does, in every row.
    for (const column of ['status', 'specialist', 'why']) {
      const at = header.indexOf(column);
      for (const row of rows) expect(row.slice(at - 2, at)).toBe('  ');
    }
    const whyAt = header.indexOf('why');
    expect(rows.map((r) => r.slice(whyAt))).toEqual(['objective is vague', 'over its token limit', 'step 1/2 completed']);
    expect(rows[2]).toContain('ResearchAgent→DatabaseAgent');
    // A chain's iterations are its steps' together, right-aligned under "iters".
    const itersEnd = header.indexOf('iters') + 'iters'.length;
    expect(rows.map((r) => r.slice(itersEnd - 5, itersEnd).trim())).toEqual(['0', '14', '4']);
    expect(lines[lines.length - 1]).toContain('total cost $0.0191');
  });
});
