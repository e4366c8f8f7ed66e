/**
 * Where should each model type (and each model) run? The report's recommendation rows, with confidence and why, and
 * beside each the results bound by something other than the model's work (a timer, latency flat across batch
 * sizes, a software adapter), as `report recommendations` prints them.
 */
import type { Db } from '../db';
import { fmtMs, h, hardwareBadge, section, table, text } from '../dom';

export const RECOMMENDATIONS_SQL = `SELECT model_type, model_name, browser, backend, p50_latency_ms, samples, confidence, is_real_hardware, reason, bound_by
FROM recommendations ORDER BY model_name IS NOT NULL, model_type, model_name`;

export async function recommendationsView(db: Db): Promise<HTMLElement> {
  const s = section('recommendations', 'Recommendations', 'Where should each model type, and each model, run? (same analysis as the report; last 30 days)');
  const rows = await db.all(RECOMMENDATIONS_SQL);
  s.append(table('recommendations-table', ['model type', 'model', 'browser / backend', 'p50 ms', 'samples', 'confidence', 'hardware', 'why', 'bound by (not the model\'s work)'], rows, (r) => [
    String(r.model_type),
    r.model_name === null ? h('strong', {}, 'all of this type') : text(r.model_name),
    `${String(r.browser)} / ${String(r.backend)}`,
    h('td', { class: 'num', 'data-testid': 'rec-p50' }, fmtMs(r.p50_latency_ms)),
    Number(r.samples),
    String(r.confidence),
    hardwareBadge(r.is_real_hardware),
    String(r.reason),
    h('td', { class: 'bound', 'data-testid': 'rec-bound' }, ...(r.bound_by === null || r.bound_by === '' ? [] : text(r.bound_by).split('\n').map((l) => h('div', { class: 'caveat' }, l)))),
  ]));
  return s;
}
