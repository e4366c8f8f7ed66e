/**
 * Inline SVG charts. The width follows the container (viewBox + width 100%), so charts fill the window; no chart
 * library is in node_modules yet and these two chart kinds need none.
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

export interface Point {
  t: number;
  v: number;
  /** What ran differs from what was requested (a backend fallback): drawn hollow, in the environment colour. */
  fallback: boolean;
}

/** What a marker stands for: the detector's finding kinds, and a browser version change seen in the rows. */
export type MarkerKind = 'regression' | 'improvement' | 'drift' | 'backend_fallback' | 'adapter_change' | 'browser_version';
export interface Marker { t: number; kind: MarkerKind; label: string; onClick: () => void }

// a kind this page does not know yet (a newer detector) is drawn as an environment change, not dropped
const MARK_CLASS: Partial<Record<string, string>> = {
  regression: 'mark-regression', improvement: 'mark-improvement', drift: 'mark-drift',
  backend_fallback: 'mark-environment', adapter_change: 'mark-environment', browser_version: 'mark-environment',
};

/** Glyph at (x, top): triangle up for a regression, down for an improvement, diamond for a drift, square for an environment change. */
function glyph(kind: MarkerKind, x: number, top: number): string {
  switch (kind) {
    case 'regression': return `M${x - 6},${top + 12} L${x + 6},${top + 12} L${x},${top} Z`;
    case 'improvement': return `M${x - 6},${top} L${x + 6},${top} L${x},${top + 12} Z`;
    case 'drift': return `M${x},${top} L${x + 6},${top + 6} L${x},${top + 12} L${x - 6},${top + 6} Z`;
    default: return `M${x - 5},${top + 1} L${x + 5},${top + 1} L${x + 5},${top + 11} L${x - 5},${top + 11} Z`;
  }
}

/** p50 over time with findings marked (hover for the finding, click for the runs before and after it). */
export function lineChart(points: readonly Point[], markers: readonly Marker[]): SVGSVGElement {
  const w = 480;
  const hgt = 180;
  const pad = { l: 48, r: 10, t: 10, b: 24 };
  const svg = el('svg', { viewBox: `0 0 ${w} ${hgt}`, width: '100%', role: 'img' }) as SVGSVGElement;
  const ts = [...points.map((p) => p.t), ...markers.map((m) => m.t)];
  const t0 = Math.min(...ts);
  const t1 = Math.max(...ts, t0 + 1);
  const vmax = Math.max(...points.map((p) => p.v), 1e-9) * 1.1;
  const x = (t: number): number => pad.l + ((t - t0) / (t1 - t0)) * (w - pad.l - pad.r);
  const y = (v: number): number => hgt - pad.b - (v / vmax) * (hgt - pad.t - pad.b);
  svg.append(el('line', { x1: pad.l, x2: pad.l, y1: pad.t, y2: hgt - pad.b, class: 'axis' }));
  svg.append(el('line', { x1: pad.l, x2: w - pad.r, y1: hgt - pad.b, y2: hgt - pad.b, class: 'axis' }));
  svg.append(el('text', { x: pad.l - 4, y: pad.t + 8, 'text-anchor': 'end' }, vmax.toFixed(1)));
  svg.append(el('text', { x: pad.l - 4, y: hgt - pad.b, 'text-anchor': 'end' }, '0 ms'));
  svg.append(el('text', { x: pad.l, y: hgt - 6 }, new Date(t0).toISOString().slice(0, 16).replace('T', ' ')));
  svg.append(el('text', { x: w - pad.r, y: hgt - 6, 'text-anchor': 'end' }, new Date(t1).toISOString().slice(0, 16).replace('T', ' ')));
  const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  svg.append(el('path', { d, class: 'series' }));
  for (const p of points) {
    svg.append(el('circle', { cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 2.5, class: p.fallback ? 'point fallback' : 'point' }));
  }
  for (const m of markers) {
    const mx = x(m.t);
    svg.append(el('line', { x1: mx, x2: mx, y1: pad.t + 12, y2: hgt - pad.b, class: `mark-line ${MARK_CLASS[m.kind] ?? 'mark-environment'}` }));
    const g = el('path', { d: glyph(m.kind, mx, pad.t), class: `marker ${MARK_CLASS[m.kind] ?? 'mark-environment'}`, 'data-testid': 'finding-marker', 'data-kind': m.kind, tabindex: 0 });
    g.append(el('title', {}, `${m.label} (click: runs before and after)`));
    g.addEventListener('click', m.onClick);
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { m.onClick(); }
    });
    svg.append(g);
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
