/**
 * Inline SVG charts with no dependency: line (over time or over batch size), bar (with optional intervals and a
 * reference line) and heatmap. Each returns a standalone `<svg>` string that embeds in HTML or renders to PNG.
 */
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];
const W = 720;
const H = 320;
const M = { top: 36, right: 180, bottom: 44, left: 64 };

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function fmt(v: number): string {
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(2);
}

function ticks(lo: number, hi: number, n = 5): number[] {
  if (hi <= lo) {
    return [lo];
  }
  return Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n);
}

function frame(title: string, body: string, width = W, height = H): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11" role="img" aria-label="${escapeXml(title)}">` +
    `<rect width="100%" height="100%" fill="#fff"/>` +
    `<text x="${M.left}" y="20" font-size="14" font-weight="600">${escapeXml(title)}</text>${body}</svg>`
  );
}

function axes(yLabel: string, xLabel: string, y: (v: number) => number, yTicks: number[]): string {
  const lines = yTicks
    .map((t) => `<line x1="${M.left}" x2="${W - M.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e7eb"/><text x="${M.left - 6}" y="${y(t) + 4}" text-anchor="end">${fmt(t)}</text>`)
    .join('');
  return (
    lines +
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#111"/>` +
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#111"/>` +
    `<text transform="translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>` +
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(xLabel)}</text>`
  );
}

function legend(names: readonly string[]): string {
  return names
    .slice(0, 14)
    .map((n, i) => `<rect x="${W - M.right + 12}" y="${M.top + i * 16}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/><text x="${W - M.right + 26}" y="${M.top + i * 16 + 9}">${escapeXml(n.length > 26 ? `${n.slice(0, 25)}…` : n)}</text>`)
    .join('');
}

function timeLabel(t: number, spanMs: number): string {
  const iso = new Date(t).toISOString();
  return spanMs < 86_400_000 ? iso.slice(11, 19) : iso.slice(5, 16).replace('T', ' ');
}

export interface LineSeries {
  name: string;
  points: readonly [number, number][];
}

/** `xKind: 'time'` formats x as dates (epoch ms); `'linear'` as numbers (e.g. batch size). */
export function lineChart(o: { title: string; yLabel: string; xLabel: string; series: readonly LineSeries[]; xKind: 'time' | 'linear' }): string {
  const all = o.series.flatMap((s) => s.points);
  if (all.length === 0) {
    return frame(o.title, `<text x="${M.left}" y="${H / 2}">no data</text>`);
  }
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const y1 = Math.max(...ys) * 1.1;
  const x = (v: number): number => M.left + (x1 === x0 ? 0.5 : (v - x0) / (x1 - x0)) * (W - M.left - M.right);
  const y = (v: number): number => H - M.bottom - (v / (y1 || 1)) * (H - M.top - M.bottom);
  const xTicks = x1 === x0 ? [x0] : ticks(x0, x1, 4);
  const xLabels = xTicks
    .map((t) => `<text x="${x(t)}" y="${H - M.bottom + 14}" text-anchor="middle">${o.xKind === 'time' ? timeLabel(t, x1 - x0) : fmt(t)}</text>`)
    .join('');
  const paths = o.series
    .map((s, i) => {
      const c = PALETTE[i % PALETTE.length]!;
      const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
      const dots = s.points.map((p) => `<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="2.5" fill="${c}"/>`).join('');
      return `<path d="${d}" fill="none" stroke="${c}" stroke-width="1.5"/>${dots}`;
    })
    .join('');
  return frame(o.title, axes(o.yLabel, o.xLabel, y, ticks(0, y1)) + xLabels + paths + legend(o.series.map((s) => s.name)));
}

export interface Bar {
  label: string;
  value: number;
  /** Interval drawn as a whisker. */
  interval?: [number, number];
}

export function barChart(o: { title: string; yLabel: string; bars: readonly Bar[]; reference?: number }): string {
  if (o.bars.length === 0) {
    return frame(o.title, `<text x="${M.left}" y="${H / 2}">no data</text>`);
  }
  const height = H + 60;
  const bottom = M.bottom + 60;
  const top = Math.max(...o.bars.map((b) => Math.max(b.value, b.interval?.[1] ?? 0)), o.reference ?? 0) * 1.1 || 1;
  const y = (v: number): number => height - bottom - (v / top) * (height - M.top - bottom);
  const slot = (W - M.left - M.right) / o.bars.length;
  const grid = ticks(0, top)
    .map((t) => `<line x1="${M.left}" x2="${W - M.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e7eb"/><text x="${M.left - 6}" y="${y(t) + 4}" text-anchor="end">${fmt(t)}</text>`)
    .join('');
  const bars = o.bars
    .map((b, i) => {
      const cx = M.left + slot * (i + 0.5);
      const w = Math.min(40, slot * 0.7);
      const whisker =
        b.interval === undefined
          ? ''
          : `<line x1="${cx}" x2="${cx}" y1="${y(b.interval[0])}" y2="${y(b.interval[1])}" stroke="#111"/><line x1="${cx - 5}" x2="${cx + 5}" y1="${y(b.interval[0])}" y2="${y(b.interval[0])}" stroke="#111"/><line x1="${cx - 5}" x2="${cx + 5}" y1="${y(b.interval[1])}" y2="${y(b.interval[1])}" stroke="#111"/>`;
      return (
        `<rect x="${cx - w / 2}" y="${y(b.value)}" width="${w}" height="${Math.max(0, height - bottom - y(b.value))}" fill="${PALETTE[i % PALETTE.length]}"><title>${escapeXml(`${b.label}: ${fmt(b.value)}`)}</title></rect>` +
        `<text x="${cx}" y="${y(b.value) - 4}" text-anchor="middle">${fmt(b.value)}</text>${whisker}` +
        `<text transform="translate(${cx} ${height - bottom + 12}) rotate(35)" font-size="10">${escapeXml(b.label.length > 28 ? `${b.label.slice(0, 27)}…` : b.label)}</text>`
      );
    })
    .join('');
  const ref = o.reference === undefined ? '' : `<line x1="${M.left}" x2="${W - M.right}" y1="${y(o.reference)}" y2="${y(o.reference)}" stroke="#111" stroke-dasharray="4 3"/>`;
  const axis = `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${height - bottom}" stroke="#111"/><line x1="${M.left}" x2="${W - M.right}" y1="${height - bottom}" y2="${height - bottom}" stroke="#111"/><text transform="translate(14 ${(M.top + height - bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`;
  return frame(o.title, grid + axis + bars + ref, W, height);
}

/** Cells coloured from green (lowest) to red (highest) per row; empty cells are untested. */
export function heatmap(o: { title: string; rows: readonly string[]; cols: readonly string[]; cells: readonly (readonly (number | undefined)[])[]; unit: string }): string {
  const cw = 110;
  const ch = 24;
  const left = 150;
  const width = Math.max(W, left + cw * o.cols.length + 20);
  const height = M.top + 30 + ch * o.rows.length + 20;
  const header = o.cols.map((c, j) => `<text x="${left + cw * j + cw / 2}" y="${M.top + 16}" text-anchor="middle" font-weight="600">${escapeXml(c)}</text>`).join('');
  const body = o.rows
    .map((r, i) => {
      const row = o.cells[i] ?? [];
      const vals = row.filter((v): v is number => v !== undefined);
      const lo = Math.min(...vals);
      const hi = Math.max(...vals);
      const yy = M.top + 26 + ch * i;
      const cells = o.cols
        .map((_, j) => {
          const v = row[j];
          const t = v === undefined || hi === lo ? 0 : (v - lo) / (hi - lo);
          const fill = v === undefined ? '#f3f4f6' : `hsl(${Math.round(120 * (1 - t))} 65% 78%)`;
          return `<rect x="${left + cw * j}" y="${yy}" width="${cw - 2}" height="${ch - 2}" fill="${fill}"/><text x="${left + cw * j + cw / 2}" y="${yy + 15}" text-anchor="middle">${v === undefined ? 'untested' : `${fmt(v)} ${escapeXml(o.unit)}`}</text>`;
        })
        .join('');
      return `<text x="${left - 8}" y="${yy + 15}" text-anchor="end">${escapeXml(r)}</text>${cells}`;
    })
    .join('');
  return frame(o.title, header + body, width, height);
}

/** Several charts one above the other in a single SVG document. */
export function stackCharts(charts: readonly string[]): { svg: string; width: number; height: number } {
  let y = 0;
  let width = 0;
  const parts = charts.map((c) => {
    const w = Number(/width="(\d+)"/.exec(c)?.[1] ?? W);
    const h = Number(/height="(\d+)"/.exec(c)?.[1] ?? H);
    const part = c.replace('<svg ', `<svg x="0" y="${y}" `);
    y += h;
    width = Math.max(width, w);
    return part;
  });
  return { svg: `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}">${parts.join('')}</svg>`, width, height: y };
}
