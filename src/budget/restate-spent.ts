/**
 * A budget stop's reason, restated with what the task's bill finally says. The ledger words a
 * denial with the task's spend at that moment; a call still finishing then (an abandoned activity
 * attempt's, a settle on its way) can land in the bill afterwards. The outcome reports the bill,
 * so its reason must name the same figure. Pure and deterministic: the agentTask workflow calls it.
 *
 * @example
 *   restateSpent('budget_exceeded: task:t1:tokens has spent 6327 tokens of its limit 8000; …', { usd: 0.01, tokens: 6964 })
 *   // 'budget_exceeded: task:t1:tokens has spent 6964 tokens of its limit 8000; …'
 */
export function restateSpent(reason: string, final: { usd: number; tokens: number }): string {
  return reason
    .replace(/(\btask:\S+:tokens has spent )(\d+)( tokens of its limit )/, (whole, head: string, n: string, tail: string) =>
      final.tokens > Number(n) ? `${head}${final.tokens}${tail}` : whole,
    )
    .replace(/(\btask:(?:(?!:tokens\b)\S)+ has spent )\$(\d+(?:\.\d+)?)( of its limit )/, (whole, head: string, n: string, tail: string) =>
      final.usd > Number(n) + 5e-7 ? `${head}$${final.usd.toFixed(6)}${tail}` : whole,
    );
}
