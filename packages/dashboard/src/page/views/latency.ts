/** How fast is each model on each browser/backend/batch size? Distribution of stored p50s, filtered. */
import type { Db, Row } from '../db';
import { fmtMs, h, hardwareBadge, section, table } from '../dom';
import { rangeChart } from '../svg';
import { type Filter, whereOf } from './filters';

export const latencySql = (f: Filter): string => `SELECT model_name, browser, backend, batch_size, is_real_hardware,
  count(*) AS windows, min(p50_ms) AS min_ms, median(p50_ms) AS p50_ms, max(p50_ms) AS max_ms, median(throughput) AS throughput
FROM measurements WHERE ${whereOf(f)}
GROUP BY ALL ORDER BY model_name, browser, backend, batch_size, is_real_hardware`;

const LIMITS_SQL = 'SELECT kind, browser, backend, model_name, detail FROM result_limits';

export function latencyView(): { el: HTMLElement; update(db: Db, f: Filter): Promise<void> } {
  const s = section('latency', 'Latency distribution', 'How fast is each model per browser, backend and batch size? (median of stored p50s; the line spans min to max; "bound by" names results a timer, per-call overhead or a software adapter sets)');
  const body = h('div');
  s.append(body);
  let limits: Row[] | undefined;
  return {
    el: s,
    async update(db, f) {
      limits ??= await db.all(LIMITS_SQL);
      const rows = await db.all(latencySql(f));
      const label = (r: Row): string => `${String(r.model_name)} · ${String(r.browser)}/${String(r.backend)} · b${String(r.batch_size)}`;
      const boundBy = (r: Row): string[] => limits!
        .filter((l) => l.browser === r.browser && l.backend === r.backend && (l.model_name === null || l.model_name === r.model_name))
        .map((l) => String(l.kind).replace('_', ' '));
      body.replaceChildren(
        rows.length === 0 ? h('p', { class: 'empty' }, 'No measurements match this filter.')
          : rangeChart(rows.map((r) => ({ label: label(r), min: Number(r.min_ms), p50: Number(r.p50_ms), max: Number(r.max_ms), real: r.is_real_hardware === true }))),
        table('latency-table', ['model', 'browser / backend', 'batch', 'windows', 'min ms', 'p50 ms', 'max ms', 'items/s', 'hardware', 'bound by'], rows, (r) => [
          String(r.model_name), `${String(r.browser)} / ${String(r.backend)}`, Number(r.batch_size),
          h('td', { class: 'num', 'data-testid': 'lat-windows' }, String(r.windows)),
          fmtMs(r.min_ms), h('td', { class: 'num', 'data-testid': 'lat-p50' }, fmtMs(r.p50_ms)), fmtMs(r.max_ms), fmtMs(r.throughput),
          hardwareBadge(r.is_real_hardware),
          h('td', { 'data-testid': 'lat-bound' }, boundBy(r).join(', ')),
        ]),
      );
    },
  };
}
