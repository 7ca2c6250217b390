/**
 * Spend as every view prints it: $0.0123, six decimals below a cent (so $0.000051 is neither
 * $0.0001 nor $0.0000), and $0.0000 for none. Pure, so God's workflow words its decisions the way
 * the CLI prints costs.
 */
export function formatSpend(usd: number): string {
  if (usd === 0) return '$0.0000';
  const text = usd.toFixed(Math.abs(usd) < 0.01 ? 6 : 4);
  // Six decimals round a spend under half a millionth to 0.000000: a cost there was must not read as none.
  return usd > 0 && Number(text) === 0 ? '<$0.000001' : `$${text}`;
}
