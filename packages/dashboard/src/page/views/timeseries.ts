/**
 * Did a model get slower over time on a browser/backend, and did what ran change? p50 per stored window or run, one
 * chart per series (source x model x browser x requested backend x batch size), with the detector's findings
 * (regressions, improvements, drifts, backend fallbacks, adapter changes) and browser version changes marked. A click
 * on a mark lists the runs before and after it.
 */
import type { Db, Row } from '../db';
import { fmtMs, h, hardwareBadge, section, table, text } from '../dom';
import { type Marker, type MarkerKind, type TimeChart, timeChart } from '../timechart';
import { type Filter, whereOf } from './filters';

/** Most charts drawn; most points per chart (longer series are shown as bucket medians, in SQL). */
export const MAX_SERIES = 24;
export const MAX_POINTS = 400;

const KEY = ['source', 'model_name', 'browser', 'requested_backend', 'batch_size'];
const str = (s: string): string => `'${s.replaceAll("'", "''")}'`;

// Every stored measurement with what ran (backend, browser version): benchmark rows from their hardware row, pool
// windows from their own column (schema v8) or else the browser connection of their run that was up at the time
// (ASOF join; snapshots of older databases have no such column).
const pointsCte = (f: Filter, ownVersion: boolean): string => `pts AS (
  SELECT * FROM (
    SELECT 'time_series' AS source, t.recorded_at, t.run_id, t.model_name, t.browser, t.requested_backend, t.backend, t.batch_size, t.p50_ms,
           t.is_real_hardware, t.adapter_architecture, t.git_commit, ${ownVersion ? 'coalesce(t.browser_version, c.browser_version)' : 'c.browser_version'} AS browser_version,
           t.compute_shader_optimized, t.precompile_shaders, t.parallel_loading, t.mixed_precision
    FROM time_series_performance t
    ASOF LEFT JOIN (SELECT run_id, browser, recorded_at, browser_version FROM browser_connections WHERE event = 'up') c
      ON c.run_id = t.run_id AND c.browser = t.browser AND t.recorded_at >= c.recorded_at
    UNION ALL
    SELECT 'benchmark', r.created_at, r.run_id, m.model_name, hw.browser, coalesce(r.requested_backend, hw.backend), hw.backend, r.batch_size, r.p50_latency_ms,
           hw.is_real_hardware, hw.adapter_architecture, tr.git_commit, hw.browser_version,
           r.compute_shader_optimized, r.precompile_shaders, r.parallel_loading, r.mixed_precision
    FROM performance_results r JOIN models m USING (model_id) JOIN hardware_platforms hw USING (hardware_id) LEFT JOIN test_runs tr USING (run_id)
  ) WHERE ${whereOf(f)})`;

// Only the first MAX_SERIES series are grouped (their keys chosen from a 1-row-per-series aggregate), and long ones
// are drawn as medians of MAX_POINTS equal time buckets: GROUP BY only, no sort of every row (a window with ORDER BY
// over a million rows cost seconds in duckdb-wasm's single thread, and grouping every series' buckets, most never
// drawn, cost more).
export const seriesSql = (f: Filter, ownVersion: boolean): string => `WITH ${pointsCte(f, ownVersion)},
span AS (SELECT ${KEY.join(', ')}, count(*) AS n, count(*) OVER () AS series, min(epoch_ms(recorded_at)) AS t0,
                greatest(max(epoch_ms(recorded_at)) - min(epoch_ms(recorded_at)), 1) AS width
         FROM pts GROUP BY ALL ORDER BY ${KEY.join(', ')} LIMIT ${MAX_SERIES})
SELECT ${KEY.join(', ')}, any_value(n) AS n, any_value(series) AS series, median(epoch_ms(recorded_at)) AS t, median(p50_ms) AS p50_ms,
  bool_or(backend <> requested_backend) AS fallback, bool_and(is_real_hardware) AS is_real_hardware
FROM pts JOIN span USING (${KEY.join(', ')})
GROUP BY ${KEY.join(', ')}, CASE WHEN n <= ${MAX_POINTS} THEN epoch_ms(recorded_at) ELSE floor((epoch_ms(recorded_at) - t0) * ${MAX_POINTS} / width) END
ORDER BY ${KEY.join(', ')}, t`;

// When each browser version was first seen in each series (a GROUP BY, not a sort); the page marks each version after
// the first. A version that comes back after another is not marked again.
const VERSIONS_SQL = (f: Filter, ownVersion: boolean): string => `WITH ${pointsCte(f, ownVersion)}
SELECT ${KEY.join(', ')}, browser_version, min(epoch_ms(recorded_at)) AS t FROM pts WHERE browser_version IS NOT NULL GROUP BY ALL ORDER BY t`;

const FINDINGS_SQL = `SELECT id, ${KEY.join(', ')}, epoch_ms(change_at) AS t, kind, severity, metric, baseline_value, current_value, change_pct, status
FROM performance_regression ORDER BY change_at`;

/** The runs of one series before and after `t` (at most 10 each side), oldest first. */
export const aroundSql = (f: Filter, ownVersion: boolean, key: Row, t: number): string => {
  const same = KEY.map((k) => `${k} = ${typeof key[k] === 'number' ? String(key[k]) : str(String(key[k]))}`).join(' AND ');
  const cols = 'recorded_at, run_id, p50_ms, backend, browser_version, adapter_architecture, is_real_hardware, git_commit';
  return `WITH ${pointsCte(f, ownVersion)}
SELECT * FROM (
  (SELECT 'before' AS side, ${cols} FROM pts WHERE ${same} AND epoch_ms(recorded_at) < ${t} ORDER BY recorded_at DESC LIMIT 10)
  UNION ALL
  (SELECT 'after' AS side, ${cols} FROM pts WHERE ${same} AND epoch_ms(recorded_at) >= ${t} ORDER BY recorded_at LIMIT 10)
) ORDER BY recorded_at`;
};

const keyOf = (r: Row): string => KEY.map((k) => String(r[k])).join('|');
/** A cell of the runs table: nothing stored reads as a dash, not as SQL's NULL. */
const shown = (v: unknown): string => (v === null || v === undefined ? '–' : text(v));
const num = (v: unknown, digits = 2): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–');

function findingLabel(r: Row): string {
  return `${String(r.kind).replace('_', ' ')} (${String(r.severity)}, ${String(r.status)}): ${String(r.metric)} ${num(r.baseline_value)} → ${num(r.current_value)} (${num(r.change_pct, 1)} %)`;
}

export function timeSeriesView(): { el: HTMLElement; update(db: Db, f: Filter): Promise<void> } {
  const s = section('timeseries', 'Time series', 'Did a model get slower over time, and did what ran change? Marks: ▲ regression, ▼ improvement, ◆ drift, ■ environment change (backend fallback, adapter, browser version); hollow points ran on a fallback backend. Click a mark for the runs before and after.');
  const body = h('div', { class: 'charts' });
  const note = h('p', { class: 'empty' });
  const around = h('div', { class: 'around', 'data-testid': 'finding-detail' });
  s.append(note, body, around);
  // the charts drawn now: destroyed (observers and canvases let go) when a filter draws new ones
  let drawn: TimeChart[] = [];
  return {
    el: s,
    async update(db, f) {
      // one after another: duckdb-wasm runs one statement at a time anyway, and each one's timing stays its own
      const ownVersion = db.manifest.tables.some((t) => t.name === 'time_series_performance' && t.columns.some((c) => c.name === 'browser_version'));
      const points = await db.all(seriesSql(f, ownVersion));
      const findings = await db.all(FINDINGS_SQL);
      const firstSeen = await db.all(VERSIONS_SQL(f, ownVersion));
      const versions: Row[] = [];
      const lastVersion = new Map<string, unknown>();
      for (const r of firstSeen) {
        const previous = lastVersion.get(keyOf(r));
        if (previous !== undefined) {
          versions.push({ ...r, prev: previous });
        }
        lastVersion.set(keyOf(r), r.browser_version);
      }
      const series = new Map<string, Row[]>();
      for (const p of points) {
        const k = keyOf(p);
        series.set(k, [...(series.get(k) ?? []), p]);
      }
      const show = async (first: Row, t: number, title: string): Promise<void> => {
        const rows = await db.all(aroundSql(f, ownVersion, first, t));
        around.replaceChildren(h('h3', {}, title),
          table('finding-runs', ['', 'recorded at', 'run', 'p50 ms', 'backend', 'browser version', 'adapter', 'hardware', 'commit'], rows, (r) => [
            h('td', { 'data-side': String(r.side), class: `side-${String(r.side)}` }, String(r.side)),
            new Date(Number(r.recorded_at)).toISOString().replace('T', ' ').slice(0, 19), text(r.run_id),
            h('td', { class: 'num', 'data-testid': 'around-p50' }, fmtMs(r.p50_ms)),
            shown(r.backend), shown(r.browser_version), shown(r.adapter_architecture), hardwareBadge(r.is_real_hardware), shown(r.git_commit),
          ]));
        around.scrollIntoView({ block: 'nearest' });
      };
      for (const c of drawn) {
        c.destroy();
      }
      drawn = [];
      const charts: HTMLElement[] = [];
      for (const ps of series.values()) {
        const first = ps[0]!;
        const name = `${String(first.model_name)} · ${String(first.browser)}/${String(first.requested_backend)} · batch ${String(first.batch_size)} · ${String(first.source).replace('_', ' ')}`;
        const marks: Marker[] = [
          ...findings.filter((r) => keyOf(r) === keyOf(first)).map((r) => ({
            t: Number(r.t), kind: String(r.kind) as MarkerKind, label: findingLabel(r),
            onClick: () => void show(first, Number(r.t), `${findingLabel(r)} — ${name}`),
          })),
          // the scan stores browser version changes itself (kind browser_version) where it has run: no second mark then
          ...versions.filter((r) => keyOf(r) === keyOf(first) && !findings.some((x) => keyOf(x) === keyOf(first) && x.kind === 'browser_version')).map((r) => ({
            t: Number(r.t), kind: 'browser_version' as const, label: `browser version ${String(r.prev)} → ${String(r.browser_version)}`,
            onClick: () => void show(first, Number(r.t), `browser version ${String(r.prev)} → ${String(r.browser_version)} — ${name}`),
          })),
        ];
        const total = Number(first.n);
        const chart = timeChart(ps.map((p) => ({ t: Number(p.t), v: Number(p.p50_ms), fallback: p.fallback === true })), marks);
        drawn.push(chart);
        charts.push(h('figure', { 'data-testid': 'series' },
          h('figcaption', {}, `${name} `, hardwareBadge(first.is_real_hardware),
            ` · ${total} points${total > ps.length ? ` (${ps.length} bucket medians)` : ''}, ${marks.length} mark(s)`),
          chart.el));
      }
      const total = Number(points[0]?.series ?? 0);
      note.textContent = total > series.size ? `Showing ${series.size} of ${total} series; filter to see the others.` : '';
      around.replaceChildren();
      body.replaceChildren(...(charts.length === 0 ? [h('p', { class: 'empty' }, 'No measurements match this filter.')] : charts));
    },
  };
}
