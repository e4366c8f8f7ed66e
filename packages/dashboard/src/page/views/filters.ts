/**
 * Filters shared by the latency, time-series and optimization views: model, browser, backend, batch size, the
 * optimization flags (on, off or any) and a date range over `measurements`.
 */
import type { Db } from '../db';
import { h } from '../dom';

/** Flag columns of `measurements`, labelled by the names `bench --flags` takes. */
export const FLAG_FILTERS = [
  ['compute_shader_optimized', 'compute-shaders'],
  ['precompile_shaders', 'precompile'],
  ['parallel_loading', 'parallel-loading'],
  ['mixed_precision', 'mixed-precision'],
] as const;
export type FlagColumn = (typeof FLAG_FILTERS)[number][0];

export interface Filter {
  model: string;
  browser: string;
  backend: string;
  /** Batch size as text ('' any). */
  batch: string;
  from: string;
  to: string;
  /** 'on' | 'off' | '' (any) per flag column. */
  flags: Partial<Record<FlagColumn, 'on' | 'off' | ''>>;
}

export const NO_FILTER: Filter = { model: '', browser: '', backend: '', batch: '', from: '', to: '', flags: {} };

const str = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** Conditions on model, browser, backend and batch size: the columns every filtered table shares. */
export function configWhere(f: Filter, backendCol = 'backend'): string[] {
  const parts: string[] = [];
  if (f.model !== '') { parts.push(`model_name = ${str(f.model)}`); }
  if (f.browser !== '') { parts.push(`browser = ${str(f.browser)}`); }
  if (f.backend !== '') { parts.push(`${backendCol} = ${str(f.backend)}`); }
  if (/^\d+$/.test(f.batch)) { parts.push(`batch_size = ${f.batch}`); }
  return parts;
}

/** The WHERE clause of a filter over `measurements` (values quoted; empty means any). */
export function whereOf(f: Filter): string {
  const parts = ['p50_ms IS NOT NULL', ...configWhere(f)];
  for (const [col] of FLAG_FILTERS) {
    const v = f.flags[col];
    if (v === 'on' || v === 'off') { parts.push(`${col} IS ${v === 'on' ? 'TRUE' : 'FALSE'}`); }
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(f.from)) { parts.push(`recorded_at >= ${str(f.from)}::DATE`); }
  if (/^\d{4}-\d{2}-\d{2}$/.test(f.to)) { parts.push(`recorded_at < ${str(f.to)}::DATE + INTERVAL 1 DAY`); }
  return parts.join(' AND ');
}

/** Builds the filter bar; `onChange` runs with the new filter whenever a control changes. */
export async function filterBar(db: Db, onChange: (f: Filter) => void): Promise<HTMLElement> {
  const options = async (col: string): Promise<string[]> =>
    (await db.all(`SELECT DISTINCT ${col} AS v FROM measurements WHERE ${col} IS NOT NULL ORDER BY 1`)).map((r) => String(r.v));
  const select = (name: string, values: readonly string[], any = 'any'): HTMLSelectElement =>
    h('select', { name, 'data-testid': `filter-${name}` }, h('option', { value: '' }, any), ...values.map((v) => h('option', { value: v }, v)));
  const controls: [string, HTMLElement][] = [
    ['model', select('model', await options('model_name'))],
    ['browser', select('browser', await options('browser'))],
    ['backend', select('backend', await options('backend'))],
    ['batch', select('batch', await options('batch_size'))],
    ...FLAG_FILTERS.map(([col, label]): [string, HTMLElement] => [label, select(col, ['on', 'off'])]),
    ['from', h('input', { type: 'date', name: 'from', 'data-testid': 'filter-from' })],
    ['to', h('input', { type: 'date', name: 'to', 'data-testid': 'filter-to' })],
  ];
  const bar = h('form', { class: 'filters', 'data-testid': 'filters' }, ...controls.map(([label, c]) => h('label', {}, label, c)));
  bar.addEventListener('change', () => {
    const v = (n: string): string => (bar.elements.namedItem(n) as HTMLInputElement | null)?.value ?? '';
    const flag = (n: string): 'on' | 'off' | '' => (v(n) === 'on' || v(n) === 'off' ? v(n) as 'on' | 'off' : '');
    onChange({
      model: v('model'), browser: v('browser'), backend: v('backend'), batch: v('batch'), from: v('from'), to: v('to'),
      flags: Object.fromEntries(FLAG_FILTERS.map(([col]) => [col, flag(col)])),
    });
  });
  return bar;
}
