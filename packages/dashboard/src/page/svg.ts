/**
 * Inline SVG charts for labelled rows (one row per series or comparison: a min–max or interval line and a dot). These
 * are categorical, with long text labels beside each row: uPlot, which draws the time series, has numeric x axes and
 * no such layout, and a few dozen rows need no canvas. The width follows the container (viewBox + width 100%).
 */
const NS = 'http://www.w3.org/2000/svg';

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    e.setAttribute(k, String(v));
  }
  if (text !== undefined) {
    e.textContent = text;
  }
  return e;
}

export interface RangeBar { label: string; min: number; p50: number; max: number; real: boolean }

/** One row per series: a min–max line and the p50 dot, on a shared ms axis. */
export function rangeChart(bars: readonly RangeBar[]): SVGSVGElement {
  const w = 800;
  const row = 22;
  const left = 300;
  const hgt = bars.length * row + 30;
  // capped width: text inside a viewBox scales with it, and labels past ~1000 px wide read as shouting
  const svg = el('svg', { viewBox: `0 0 ${w} ${hgt}`, width: '100%', style: 'max-width: 1000px', role: 'img' }) as SVGSVGElement;
  const top = Math.max(...bars.map((b) => b.max), 1e-9);
  const x = (v: number): number => left + (v / top) * (w - left - 20);
  bars.forEach((b, i) => {
    const y = 10 + i * row + row / 2;
    svg.append(el('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, b.label));
    svg.append(el('line', { x1: x(b.min), x2: x(b.max), y1: y, y2: y, stroke: b.real ? '#3569c9' : '#b26b00', 'stroke-width': 3 }));
    const dot = el('circle', { cx: x(b.p50), cy: y, r: 5, fill: b.real ? '#3569c9' : '#b26b00' });
    dot.append(el('title', {}, `${b.label}: p50 ${b.p50.toFixed(2)} ms (min ${b.min.toFixed(2)}, max ${b.max.toFixed(2)})`));
    svg.append(dot);
  });
  const axisY = hgt - 12;
  svg.append(el('line', { x1: left, x2: w - 20, y1: axisY - 8, y2: axisY - 8, class: 'axis' }));
  for (const f of [0, 0.5, 1]) {
    // the last tick ends at the axis end so its unit is not clipped by the viewBox
    svg.append(el('text', { x: x(top * f), y: axisY + 2, 'text-anchor': f === 1 ? 'end' : f === 0 ? 'start' : 'middle' }, `${(top * f).toFixed(1)} ms`));
  }
  return svg;
}

export interface IntervalRow { label: string; value: number; low: number; high: number; verdict: string }

/** One row per comparison: the on/off ratio as a dot, its 95 % interval as a line, and a dashed line at 1 (no effect). */
export function intervalChart(rows: readonly IntervalRow[]): SVGSVGElement {
  const w = 800;
  const row = 22;
  const left = 360;
  const hgt = rows.length * row + 30;
  const svg = el('svg', { viewBox: `0 0 ${w} ${hgt}`, width: '100%', style: 'max-width: 1000px', role: 'img', 'data-testid': 'impact-chart' }) as SVGSVGElement;
  const lo = Math.min(...rows.map((r) => r.low), 1) * 0.95;
  const hi = Math.max(...rows.map((r) => r.high), 1) * 1.05;
  const x = (v: number): number => left + ((v - lo) / (hi - lo)) * (w - left - 20);
  const colour = (v: string): string => (v === 'better' ? 'var(--ok)' : v === 'worse' ? 'var(--bad)' : 'var(--muted)');
  svg.append(el('line', { x1: x(1), x2: x(1), y1: 4, y2: hgt - 20, class: 'axis', 'stroke-dasharray': '4 3' }));
  rows.forEach((r, i) => {
    const y = 10 + i * row + row / 2;
    svg.append(el('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, r.label));
    svg.append(el('line', { x1: x(r.low), x2: x(r.high), y1: y, y2: y, stroke: colour(r.verdict), 'stroke-width': 3 }));
    const dot = el('circle', { cx: x(r.value), cy: y, r: 5, fill: colour(r.verdict) });
    dot.append(el('title', {}, `${r.label}: ratio ${r.value.toFixed(3)} (95 % interval ${r.low.toFixed(3)}–${r.high.toFixed(3)}), ${r.verdict}`));
    svg.append(dot);
  });
  // the axis ends are labelled only where they do not run into the label at 1
  const far = (v: number): boolean => Math.abs(x(v) - x(1)) > 90;
  for (const v of [lo, 1, hi].filter((t) => t === 1 || far(t))) {
    svg.append(el('text', { x: x(v), y: hgt - 4, 'text-anchor': v === lo ? 'start' : v === hi ? 'end' : 'middle' }, v === 1 ? '1 (no effect)' : v.toFixed(2)));
  }
  return svg;
}
