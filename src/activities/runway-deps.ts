import type { BudgetGate } from '../budget/gate';

/** What the runway activities need of the budget ledger: its snapshot and the share update (a worker's BudgetGate). */
export interface RunwayDeps {
  ledger: Pick<BudgetGate, 'snapshot' | 'setExperimentalShare'>;
}
