/**
 * Plain-text tables for the terminal. Its own module so that every part of
 * the benchmark's summary (report.ts, sweep-report.ts) can draw one without
 * importing the others.
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
