/** Which model runs on which browser and backend? Latest outcome per cell; the error is on hover. */
import type { Db } from '../db';
import { h, section, text } from '../dom';

export const COMPATIBILITY_SQL = `SELECT model_name, browser, backend, is_compatible, error_code, error_message, is_real_hardware
FROM compatibility_matrix ORDER BY model_name, browser, backend`;

export async function compatibilityView(db: Db): Promise<HTMLElement> {
  const s = section('compatibility', 'Compatibility matrix', 'Which model runs on which browser and backend? (hover a ✗ for the error)');
  const rows = await db.all(COMPATIBILITY_SQL);
  if (rows.length === 0) {
    s.append(h('p', { class: 'empty' }, 'No compatibility rows: run `browser-pool bench` to record which backends load each model.'));
    return s;
  }
  const columns = [...new Set(rows.map((r) => `${String(r.browser)} / ${String(r.backend)}`))].sort();
  const models = [...new Set(rows.map((r) => String(r.model_name)))];
  const byKey = new Map(rows.map((r) => [`${String(r.model_name)}|${String(r.browser)} / ${String(r.backend)}`, r]));
  const body = h('tbody');
  for (const m of models) {
    const tr = h('tr', {}, h('th', {}, m));
    for (const c of columns) {
      const r = byKey.get(`${m}|${c}`);
      if (r === undefined) {
        tr.append(h('td', { class: 'empty', title: 'not measured' }, '·'));
      } else if (r.is_compatible === true) {
        tr.append(h('td', { class: 'cell-ok', 'data-testid': 'compat-cell', 'data-ok': 'true', title: r.is_real_hardware === true ? 'runs (real hardware)' : 'runs (software adapter)' }, '✓'));
      } else {
        const why = `${r.error_code === null ? 'error' : text(r.error_code)}: ${r.error_message === null ? '' : text(r.error_message)}`;
        tr.append(h('td', { class: 'cell-bad', 'data-testid': 'compat-cell', 'data-ok': 'false', title: why }, '✗'));
      }
    }
    body.append(tr);
  }
  s.append(h('table', { 'data-testid': 'compat-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'model'), ...columns.map((c) => h('th', {}, c)))), body));
  return s;
}
