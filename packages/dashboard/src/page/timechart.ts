/**
 * p50 over time with findings marked, drawn by uPlot (canvas: a 100k-point series draws in milliseconds, where one
 * SVG node per point would not). The chart follows its container's width (ResizeObserver), takes its colours from the
 * page's CSS variables at each draw, and redraws when the colour scheme changes. Finding marks are buttons laid over
 * the plot at their time (kept in place on every draw, so on resize and zoom): hover for the finding, click or Enter
 * for the runs before and after it. Drag to zoom, double-click to zoom out (uPlot's own).
 */
import 'uplot/dist/uPlot.min.css';

import uPlot from 'uplot';

import { h } from './dom';

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
const GLYPH: Partial<Record<string, string>> = { regression: '▲', improvement: '▼', drift: '◆' };

const HEIGHT = 200;

/** A CSS variable of the page, resolved now (the canvas cannot read var(--x) itself). */
function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

// Charts alive on the page: redrawn with the other scheme's colours when it changes.
const live = new Set<uPlot>();
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
  for (const u of live) {
    u.redraw(false);
  }
});

/** Points that ran on a fallback backend: hollow (the page's background inside), in the environment colour, no line. */
const FALLBACK_SERIES = (wrap: HTMLElement): uPlot.Series => ({
  label: 'on a fallback backend', paths: () => null, stroke: () => cssVar('--env'),
  points: { show: true, size: 7, width: 1.5, fill: () => getComputedStyle(wrap).backgroundColor, stroke: () => cssVar('--env') },
  value: (_u, v) => (v === null ? '–' : `${v.toFixed(2)} ms`),
});

export interface TimeChart { el: HTMLElement; destroy(): void }

/** Points are oldest first; marks may lie outside the points' time span (the x axis includes them). */
export function timeChart(points: readonly Point[], markers: readonly Marker[]): TimeChart {
  const ts = [...new Set([...points.map((p) => p.t), ...markers.map((m) => m.t)])].sort((a, b) => a - b);
  const at = new Map(points.map((p) => [p.t, p]));
  const value = ts.map((t) => at.get(t)?.v ?? null);
  const fallback = ts.map((t) => (at.get(t)?.fallback === true ? at.get(t)!.v : null));
  const wrap = h('div', { class: 'timechart' });
  const text = (): string => getComputedStyle(wrap).color;
  const axis = (label: string): uPlot.Axis => ({
    label, stroke: text, labelSize: 16, size: 48,
    grid: { stroke: () => cssVar('--line'), width: 1 }, ticks: { stroke: () => cssVar('--line'), width: 1 },
  });
  const marks = markers.map((m) => {
    const cls = MARK_CLASS[m.kind] ?? 'mark-environment';
    const b = h('button', { type: 'button', class: `marker ${cls}`, 'data-testid': 'finding-marker', 'data-kind': m.kind, title: `${m.label} (click: runs before and after)`, 'aria-label': m.label },
      GLYPH[m.kind] ?? '■');
    // uPlot starts a zoom selection on mousedown over the plot: a click on a mark is not one
    b.addEventListener('mousedown', (e) => e.stopPropagation());
    b.addEventListener('click', m.onClick);
    return { m, b, line: h('div', { class: `mark-line ${cls}` }) };
  });
  const place = (u: uPlot): void => {
    for (const { m, b, line } of marks) {
      const x = u.valToPos(m.t, 'x');
      const inside = x >= 0 && x <= u.over.clientWidth;
      b.style.left = line.style.left = `${x}px`;
      b.hidden = line.hidden = !inside;
    }
  };
  const many = points.length > 200;
  const opts: uPlot.Options = {
    width: 400, height: HEIGHT, ms: 1,
    legend: { show: true, live: true },
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max, 1e-9) * 1.1] } },
    axes: [axis(''), axis('p50 ms')],
    series: [
      { label: 'time' },
      {
        label: 'p50 ms', spanGaps: true, width: 1.5, stroke: () => cssVar('--accent'),
        points: { show: !many, size: 5, fill: () => cssVar('--accent'), stroke: () => cssVar('--accent') },
        value: (_u, v) => (v === null ? '–' : `${v.toFixed(2)} ms`),
      },
    ],
    hooks: { draw: [place] },
  };
  // the hollow series only where something ran on a fallback backend: an empty legend entry would read as one
  const anyFallback = fallback.some((v) => v !== null);
  if (anyFallback) {
    opts.series.push(FALLBACK_SERIES(wrap));
  }
  const u = new uPlot(opts, anyFallback ? [ts, value, fallback] : [ts, value], wrap);
  u.over.append(...marks.flatMap(({ b, line }) => [line, b]));
  live.add(u);
  const resize = new ResizeObserver(() => {
    if (wrap.clientWidth > 0) {
      u.setSize({ width: wrap.clientWidth, height: HEIGHT });
    }
  });
  resize.observe(wrap);
  return {
    el: wrap,
    destroy() {
      resize.disconnect();
      live.delete(u);
      u.destroy();
    },
  };
}
