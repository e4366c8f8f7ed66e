/** Plain-text table with aligned columns (numbers right-aligned). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const isNumber = (s: string): boolean => /^[-+]?[\d.,]+(x|%| ms| MB\/s)?$/.test(s);
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (isNumber(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
