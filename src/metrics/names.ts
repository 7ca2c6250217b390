/**
 * Pantheon's own metrics: one list, read by the recorders (worker and workflow side), the
 * Prometheus bucket overrides and the README. Counters carry their `_total` suffix in the name:
 * the Runtime's Prometheus exporter adds none.
 */
export const METRICS = {
  tasks: { name: 'pantheon_tasks_total', help: 'Tasks ended, by terminal status and last specialist' },
  deadLetters: { name: 'pantheon_dead_letters_total', help: 'Tasks dead-lettered, by last specialist and failure type' },
  staleNotices: { name: 'pantheon_stale_notices_total', help: 'Stale notices a task received from the sweeper, by action (flag, requeue) and specialist' },
  llmCalls: { name: 'pantheon_llm_calls_total', help: 'LLM calls through the budget ledger, by specialist (or purpose), model and outcome' },
  llmTokens: { name: 'pantheon_llm_tokens_total', help: 'LLM tokens settled, by specialist (or purpose) and model' },
  // Micro-dollars: the Runtime's counters hold whole numbers (a dollar counter would read 0).
  llmMicroUsd: { name: 'pantheon_llm_microusd_total', help: 'Micro-dollars (1e-6 USD) settled for LLM calls, by specialist (or purpose) and model' },
  ledgerRoundTrip: { name: 'pantheon_ledger_round_trip_ms', help: 'Budget ledger round trips as the caller saw them (queueing included), by op and outcome' },
  breakerOpen: { name: 'pantheon_breaker_open', help: '1 while the budget breaker is open as this worker last saw it, else 0' },
} as const;

/** Ledger round trips are milliseconds to a few seconds; the exporter's default buckets start at 50. */
export const LEDGER_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2500, 5000, 10000];
