import type { PauseInput } from './messages';

/**
 * What a `pause` or `resume` update changes and records: the reason God shows, who gave it, and
 * the line in God's decisions. Pure.
 *
 * An update without `by` (every one sent before `by` existed, so every one in a recorded history)
 * gives exactly what it gave then: the default reason "paused by an operator" / "resumed by an
 * operator" and the record `paused: <reason>`. With `by`, the record names the person, and
 * without a reason God shows none was given (not "by an operator": it knows who).
 *
 * @example pauseChange('pause', { reason: 'deploy freeze', by: 'ana' })
 *   // { reason: 'deploy freeze', by: 'ana', detail: 'paused by ana: deploy freeze' }
 */
export function pauseChange(kind: 'pause' | 'resume', input: PauseInput): { reason: string; by?: string; detail: string } {
  const done = kind === 'pause' ? 'paused' : 'resumed';
  if (input.by === undefined) {
    const reason = input.reason ?? `${done} by an operator`;
    return { reason, detail: `${done}: ${reason}` };
  }
  return {
    reason: input.reason ?? 'no reason given',
    by: input.by,
    detail: `${done} by ${input.by}${input.reason === undefined ? '' : `: ${input.reason}`}`,
  };
}
