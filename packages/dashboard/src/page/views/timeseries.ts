/** Did a model get slower over time on a browser/backend? p50 per window, stored regressions marked. */
import type { Db, Row } from '../db';
import { h, hardwareBadge, section } from '../dom';
import { lineChart } from '../svg';
import { type Filter, whereOf } from './filters';

// Pool windows and benchmark runs of the same series are different measurements (window p50 vs run p50): one line each.
const seriesSql = (f: Filter): string => `SELECT source, model_name, browser, backend, batch_size, is_real_hardware, epoch_ms(recorded_at) AS t, p50_ms
FROM measurements WHERE ${whereOf(f)} ORDER BY model_name, browser, backend, batch_size, source, recorded_at`;

// Regressions are keyed by the requested backend; a fallback is itself a finding (kind backend_fallback).
const REGRESSIONS_SQL = `SELECT source, model_name, browser, requested_backend, batch_size, epoch_ms(change_at) AS t, kind, severity, metric,
  baseline_value, current_value, change_pct, status FROM performance_regression`;

const keyOf = (r: Row, backendCol: string): string => `${String(r.source)}|${String(r.model_name)}|${String(r.browser)}|${String(r[backendCol])}|${String(r.batch_size)}`;

export function timeSeriesView(): { el: HTMLElement; update(db: Db, f: Filter): Promise<void> } {
  const s = section('timeseries', 'Time series', 'Did a model get slower over time? p50 per stored window or run; red marks are stored regressions (hover for the finding).');
  const body = h('div', { class: 'charts' });
  s.append(body);
  return {
    el: s,
    async update(db, f) {
      const points = await db.all(seriesSql(f));
      const findings = await db.all(REGRESSIONS_SQL);
      const series = new Map<string, Row[]>();
      for (const p of points) {
        const k = keyOf(p, 'backend');
        series.set(k, [...(series.get(k) ?? []), p]);
      }
      const charts: HTMLElement[] = [];
      for (const [k, ps] of series) {
        const first = ps[0]!;
        const marks = findings.filter((r) => keyOf(r, 'requested_backend') === k).map((r) => ({
          t: Number(r.t),
          label: `${String(r.kind)} (${String(r.severity)}, ${String(r.status)}): ${String(r.metric)} ${Number(r.baseline_value).toFixed(2)} → ${Number(r.current_value).toFixed(2)} (${Number(r.change_pct).toFixed(1)} %)`,
        }));
        charts.push(h('figure', { 'data-testid': 'series', style: 'margin:0' },
          h('figcaption', {}, `${String(first.model_name)} · ${String(first.browser)}/${String(first.backend)} · batch ${String(first.batch_size)} · ${String(first.source).replace('_', ' ')} `, hardwareBadge(first.is_real_hardware), ` · ${ps.length} points, ${marks.length} regression(s)`),
          lineChart(ps.map((p) => ({ t: Number(p.t), v: Number(p.p50_ms) })), marks)));
      }
      body.replaceChildren(...(charts.length === 0 ? [h('p', { class: 'empty' }, 'No measurements match this filter.')] : charts));
    },
  };
}
