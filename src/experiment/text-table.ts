/** Plain-text tables and counts for reports, shared by the report and the commands. */

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * Text columns left-aligned, number columns (a column whose cells are numbers or numeric
 * text) right-aligned, two spaces between columns.
 */
export function table(rows: (string | number)[][], header?: string[]): string {
  const numeric = (c: string | number) => typeof c === 'number' || /^[-+]?[\d,.]+$|^-$/.test(c);
  const right: boolean[] = [];
  for (const r of rows) r.forEach((c, i) => (right[i] = (right[i] ?? true) && numeric(c)));
  const all = header ? [header, ...rows] : rows;
  const cells = all.map((r) => r.map((c) => (typeof c === 'number' ? fmtInt(c) : c)));
  const widths: number[] = [];
  for (const r of cells) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return cells
    .map((r) => r.map((c, i) => (right[i] && i > 0 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd())
    .join('\n');
}
