/**
 * Inline SVG charts for labelled rows (one row per series or comparison: a min–max or interval line and a dot). These
 * are categorical, with long text labels beside each row: uPlot, which draws the time series, has numeric x axes and
 * no such layout, and a few dozen rows need no canvas. The width follows the container (viewBox + width 100%).
 */
const NS = 'http://www.w3.org/2000/svg';
const WIDTH = 800;
const ROW = 22;

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

/** One drawn row: its label, a line from `from` to `to`, a dot at `at` with a hover title, all in axis units. */
interface DrawnRow { label: string; from: number; to: number; at: number; colour: string; title: string }

/** The frame both charts share: the svg sized to its rows, each row's label, line and dot; `x` maps axis units. */
function rowsChart(rows: readonly DrawnRow[], left: number, x: (v: number) => number, attrs: Record<string, string> = {}): SVGSVGElement {
  const hgt = rows.length * ROW + 30;
  // capped width: text inside a viewBox scales with it, and labels past ~1000 px wide read as shouting
  const svg = el('svg', { viewBox: `0 0 ${WIDTH} ${hgt}`, width: '100%', style: 'max-width: 1000px', role: 'img', ...attrs }) as SVGSVGElement;
  rows.forEach((r, i) => {
    const y = 10 + i * ROW + ROW / 2;
    svg.append(el('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, r.label));
    svg.append(el('line', { x1: x(r.from), x2: x(r.to), y1: y, y2: y, stroke: r.colour, 'stroke-width': 3 }));
    const dot = el('circle', { cx: x(r.at), cy: y, r: 5, fill: r.colour });
    dot.append(el('title', {}, r.title));
    svg.append(dot);
  });
  return svg;
}

export interface RangeBar { label: string; min: number; p50: number; max: number; real: boolean }

/** One row per series: a min–max line and the p50 dot, on a shared ms axis. */
export function rangeChart(bars: readonly RangeBar[]): SVGSVGElement {
  const left = 300;
  const top = Math.max(...bars.map((b) => b.max), 1e-9);
  const x = (v: number): number => left + (v / top) * (WIDTH - left - 20);
  const svg = rowsChart(
    bars.map((b) => ({
      label: b.label,
      from: b.min,
      to: b.max,
      at: b.p50,
      colour: b.real ? '#3569c9' : '#b26b00',
      title: `${b.label}: p50 ${b.p50.toFixed(2)} ms (min ${b.min.toFixed(2)}, max ${b.max.toFixed(2)})`,
    })),
    left,
    x,
  );
  const axisY = bars.length * ROW + 30 - 12;
  svg.append(el('line', { x1: left, x2: WIDTH - 20, y1: axisY - 8, y2: axisY - 8, class: 'axis' }));
  for (const f of [0, 0.5, 1]) {
    // the last tick ends at the axis end so its unit is not clipped by the viewBox
    svg.append(el('text', { x: x(top * f), y: axisY + 2, 'text-anchor': f === 1 ? 'end' : f === 0 ? 'start' : 'middle' }, `${(top * f).toFixed(1)} ms`));
  }
  return svg;
}

export interface IntervalRow { label: string; value: number; low: number; high: number; verdict: string }

/** One row per comparison: the on/off ratio as a dot, its 95 % interval as a line, and a dashed line at 1 (no effect). */
export function intervalChart(rows: readonly IntervalRow[]): SVGSVGElement {
  const left = 360;
  const hgt = rows.length * ROW + 30;
  const lo = Math.min(...rows.map((r) => r.low), 1) * 0.95;
  const hi = Math.max(...rows.map((r) => r.high), 1) * 1.05;
  const x = (v: number): number => left + ((v - lo) / (hi - lo)) * (WIDTH - left - 20);
  const colour = (v: string): string => (v === 'better' ? 'var(--ok)' : v === 'worse' ? 'var(--bad)' : 'var(--muted)');
  const svg = rowsChart(
    rows.map((r) => ({
      label: r.label,
      from: r.low,
      to: r.high,
      at: r.value,
      colour: colour(r.verdict),
      title: `${r.label}: ratio ${r.value.toFixed(3)} (95 % interval ${r.low.toFixed(3)}–${r.high.toFixed(3)}), ${r.verdict}`,
    })),
    left,
    x,
    { 'data-testid': 'impact-chart' },
  );
  // drawn first so the rows lie over it
  svg.prepend(el('line', { x1: x(1), x2: x(1), y1: 4, y2: hgt - 20, class: 'axis', 'stroke-dasharray': '4 3' }));
  // the axis ends are labelled only where they do not run into the label at 1
  const far = (v: number): boolean => Math.abs(x(v) - x(1)) > 90;
  for (const v of [lo, 1, hi].filter((t) => t === 1 || far(t))) {
    svg.append(el('text', { x: x(v), y: hgt - 4, 'text-anchor': v === lo ? 'start' : v === hi ? 'end' : 'middle' }, v === 1 ? '1 (no effect)' : v.toFixed(2)));
  }
  return svg;
}
