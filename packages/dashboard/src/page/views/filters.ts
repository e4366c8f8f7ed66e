/** Filters shared by the latency and time-series views: model, browser, backend and a date range over `measurements`. */
import type { Db } from '../db';
import { h } from '../dom';

export interface Filter { model: string; browser: string; backend: string; from: string; to: string }

const str = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** The WHERE clause of a filter (values quoted; empty means any). */
export function whereOf(f: Filter): string {
  const parts = ['p50_ms IS NOT NULL'];
  if (f.model !== '') { parts.push(`model_name = ${str(f.model)}`); }
  if (f.browser !== '') { parts.push(`browser = ${str(f.browser)}`); }
  if (f.backend !== '') { parts.push(`backend = ${str(f.backend)}`); }
  if (f.from !== '') { parts.push(`recorded_at >= ${str(f.from)}::DATE`); }
  if (f.to !== '') { parts.push(`recorded_at < ${str(f.to)}::DATE + INTERVAL 1 DAY`); }
  return parts.join(' AND ');
}

/** Builds the filter bar; `onChange` runs with the new filter whenever a control changes. */
export async function filterBar(db: Db, onChange: (f: Filter) => void): Promise<HTMLElement> {
  const options = async (col: string): Promise<string[]> =>
    (await db.all(`SELECT DISTINCT ${col} AS v FROM measurements WHERE ${col} IS NOT NULL ORDER BY 1`)).map((r) => String(r.v));
  const select = async (name: keyof Filter, col: string): Promise<HTMLSelectElement> =>
    h('select', { name, 'data-testid': `filter-${name}` }, h('option', { value: '' }, 'any'), ...(await options(col)).map((v) => h('option', { value: v }, v)));
  const controls = [await select('model', 'model_name'), await select('browser', 'browser'), await select('backend', 'backend'),
    h('input', { type: 'date', name: 'from', 'data-testid': 'filter-from' }), h('input', { type: 'date', name: 'to', 'data-testid': 'filter-to' })];
  const bar = h('form', { class: 'filters' }, ...controls.map((c) => h('label', {}, c.getAttribute('name') ?? '', c)));
  bar.addEventListener('change', () => {
    const v = (n: string): string => (bar.elements.namedItem(n) as HTMLInputElement | null)?.value ?? '';
    onChange({ model: v('model'), browser: v('browser'), backend: v('backend'), from: v('from'), to: v('to') });
  });
  return bar;
}
