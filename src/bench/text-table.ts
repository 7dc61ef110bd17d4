/**
 * Plain-text tables for the terminal, and Markdown table rows for the
 * reports. Its own module so that every part of the benchmark's summary
 * (report.ts, sweep-report.ts, paper-report.ts, the sweep's report.md) can
 * draw one without importing the others.
 */

export type Align = 'left' | 'right';

/** Plain-text table: columns padded to their widest cell. */
export function renderTable(header: string[], rows: string[][], align: Align[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => {
        const width = widths[c] ?? cell.length;
        return align[c] === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** One Markdown table row; a `|` inside a cell is escaped. */
export function markdownRow(cells: readonly string[]): string {
  return `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
}
