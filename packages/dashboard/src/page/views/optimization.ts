/**
 * What does each optimization flag change? `report optimization`'s rows (computed by db-integration when the snapshot
 * was written, seeded bootstrap: the same numbers the report prints): on/off ratio of medians with its 95 % interval.
 */
import type { Db } from '../db';
import { h, section, table, text } from '../dom';
import { intervalChart } from '../svg';
import { configWhere, type Filter } from './filters';

export const impactSql = (f: Filter): string => `SELECT flag, other_flags, metric, model_name, browser, backend, batch_size, on_value, off_value,
  ratio, ratio_low, ratio_high, runs_on, runs_off, verdict, note
FROM optimization_effects ${configWhere(f).length === 0 ? '' : `WHERE ${configWhere(f).join(' AND ')}`}
ORDER BY flag, metric, model_name, browser, backend, batch_size, other_flags`;

const n = (v: unknown, digits: number): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–');

export function optimizationView(): { el: HTMLElement; update(db: Db, f: Filter): Promise<void> } {
  const s = section('optimization', 'Optimization-flag effects',
    'What does turning a flag on change? Ratio on/off of medians over runs (< 1 is better), 95 % bootstrap interval; an interval across 1 is no measurable effect.');
  const body = h('div');
  s.append(body);
  return {
    el: s,
    async update(db, f) {
      const rows = await db.all(impactSql(f));
      if (rows.length === 0) {
        body.replaceChildren(h('p', { class: 'empty', 'data-testid': 'impact-empty' },
          'No configuration here was measured with a flag both on and off: `browser-pool bench --flags compute-shaders,precompile,parallel-loading --repeats 5`.'));
        return;
      }
      body.replaceChildren(
        intervalChart(rows.slice(0, 40).map((r) => ({
          label: `${String(r.flag)} · ${String(r.metric)} · ${String(r.model_name)} ${String(r.browser)}/${String(r.backend)} b${String(r.batch_size)}`,
          value: Number(r.ratio), low: Number(r.ratio_low), high: Number(r.ratio_high), verdict: String(r.verdict),
        }))),
        h('p', { class: 'empty' }, rows.length > 40 ? `Chart shows the first 40 of ${rows.length} rows; filter to see others.` : ''),
        table('impact-table', ['flag', 'other flags', 'metric', 'model', 'browser / backend', 'batch', 'on', 'off', 'ratio', '95 % interval', 'runs on/off', 'verdict', 'note'], rows, (r) => [
          String(r.flag), String(r.other_flags), String(r.metric), String(r.model_name), `${String(r.browser)} / ${String(r.backend)}`, Number(r.batch_size),
          h('td', { class: 'num' }, n(r.on_value, 2)), h('td', { class: 'num' }, n(r.off_value, 2)),
          h('td', { class: 'num', 'data-testid': 'impact-ratio' }, n(r.ratio, 3)),
          h('td', { class: 'num', 'data-testid': 'impact-interval' }, `${n(r.ratio_low, 3)} – ${n(r.ratio_high, 3)}`),
          `${String(r.runs_on)}/${String(r.runs_off)}`, h('td', { class: `verdict ${String(r.verdict).replaceAll(' ', '-')}` }, String(r.verdict)), text(r.note),
        ]),
      );
    },
  };
}
