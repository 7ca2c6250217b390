/**
 * A budget stop's reason, restated with what the task's bill finally says. The ledger words a
 * denial with the task's spend at that moment, which counts calls still settling at their worst
 * case (and misses a call that lands later, say an abandoned attempt's). The outcome reports the
 * bill, so its reason leads with the same figure and keeps the one the denial was made on.
 * Pure and deterministic: the agentTask workflow calls it.
 *
 * @example
 *   restateSpent('budget_exceeded: task:t1:tokens has spent 6964 tokens of its limit 8000 tokens; …', { usd: 0.01, tokens: 6327 })
 *   // 'budget_exceeded: task:t1:tokens has spent 6327 tokens (6964 when it was denied, calls still settling at their worst case) of its limit 8000 tokens; …'
 */
export function restateSpent(reason: string, final: { usd: number; tokens: number }): string {
  return reason
    .replace(/(\btask:\S+:tokens has spent )(\d+)( tokens)( of its limit )/, (whole, head: string, n: string, unit: string, tail: string) =>
      final.tokens === Number(n) ? whole : `${head}${final.tokens}${unit} (${n} when it was denied${why(final.tokens < Number(n))})${tail}`,
    )
    .replace(/(\btask:(?:(?!:tokens\b)\S)+ has spent )\$(\d+(?:\.\d+)?)( of its limit )/, (whole, head: string, n: string, tail: string) =>
      Math.abs(final.usd - Number(n)) < 5e-7 ? whole : `${head}$${final.usd.toFixed(6)} ($${n} when it was denied${why(final.usd < Number(n))})${tail}`,
    );
}

function why(lower: boolean): string {
  return lower ? ', calls still settling at their worst case' : ', a call landed after';
}
