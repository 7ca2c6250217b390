import { round, type Summary } from './stats';

/**
 * The benchmark's output as an ordered list of sections. Each section renders as one small table
 * and contributes one key to the JSON object, so a new measurement (e.g. a budget ledger's
 * reservation round-trip) is one more `Section` pushed onto the report, nothing else changes.
 */

export interface Section {
  /** The section's key in the JSON output, e.g. 'pipeline'. */
  key: string;
  title: string;
  /**
   * Table rows. A row of two cells is `label  value`; longer rows align under `columns`
   * (e.g. mean / p50 / p95 / max), whose first cell heads the label column.
   */
  rows: string[][];
  columns?: string[];
  /** Footnotes printed under the table. */
  notes?: string[];
  /** What the section contributes to --json. */
  data: unknown;
}

export interface Report {
  title: string;
  sections: Section[];
}

export function fmtMs(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(1) : '-';
}

export function fmtNum(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/** A summary row: label, then mean / p50 / p95 / max. */
export function summaryRow(label: string, s: Summary, format: (v: number) => string = fmtMs): string[] {
  return [label, format(s.mean), format(s.p50), format(s.p95), format(s.max)];
}

export const SUMMARY_COLUMNS = ['', 'mean', 'p50', 'p95', 'max'];

/** A summary for JSON, rounded to 0.1 ms. */
export function summaryJson(s: Summary, digits = 1): Summary {
  return { n: s.n, mean: round(s.mean, digits), min: round(s.min, digits), p50: round(s.p50, digits), p95: round(s.p95, digits), max: round(s.max, digits) };
}

function renderSection(section: Section): string {
  const lines = [section.title];
  const grid = section.columns ? [section.columns, ...section.rows] : section.rows;
  const wide = grid.filter((r) => r.length > 2);
  const labelWidth = Math.max(0, ...grid.map((r) => r[0].length));
  const cols = Math.max(0, ...wide.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, c) => Math.max(0, ...wide.map((r) => (r[c] ?? '').length)));
  for (const row of grid) {
    if (row.length > 2) {
      const cells = row.slice(1).map((cell, c) => cell.padStart(Math.max(widths[c + 1], 7)));
      lines.push(`  ${row[0].padEnd(labelWidth)}  ${cells.join('  ')}`.trimEnd());
    } else {
      const [label, value = ''] = row;
      lines.push(`  ${label.padEnd(labelWidth)}  ${value}`.trimEnd());
    }
  }
  for (const note of section.notes ?? []) lines.push(`  - ${note}`);
  return lines.join('\n');
}

export function renderText(report: Report): string {
  const rule = '='.repeat(Math.max(report.title.length, 60));
  return [`${report.title}\n${rule}`, ...report.sections.map(renderSection)].join('\n\n') + '\n';
}

export function renderJson(report: Report): string {
  const out: Record<string, unknown> = { ok: true };
  for (const section of report.sections) out[section.key] = section.data;
  return JSON.stringify(out, null, 2) + '\n';
}
