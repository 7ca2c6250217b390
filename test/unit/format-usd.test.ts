import { formatUsd } from '../../src/client/format';

/** The cost the CLI and the demo print for a task (src/client/format.ts). */

describe('formatUsd', () => {
  it('shows a cost below a cent to the millionth of a dollar, so an offline task is not $0.0000', () => {
    expect(formatUsd(0.000051)).toBe('$0.000051');
    expect(formatUsd(0.0123)).toBe('$0.0123');
    expect(formatUsd(0)).toBe('$0.000000');
  });

  it('never shows a cost there was as none, however small', () => {
    expect(formatUsd(0.0000002)).toBe('<$0.000001');
  });
});
