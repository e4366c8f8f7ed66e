/**
 * Ask your own question: a SQL box beside the schema. It runs in this browser on the loaded copy, inside a
 * transaction that is always rolled back, so a statement cannot change what the other views show.
 */
import type { Db } from '../db';
import { h, section, table, text } from '../dom';

const SCHEMA_SQL = `SELECT t.table_name, t.table_type, string_agg(c.column_name || ' ' || c.data_type, chr(10) ORDER BY c.ordinal_position) AS cols
FROM information_schema.tables t JOIN information_schema.columns c USING (table_schema, table_name)
WHERE t.table_schema = 'main' GROUP BY ALL`;

export async function sqlView(db: Db): Promise<HTMLElement> {
  const s = section('sql', 'SQL', 'Ask your own question (runs in this browser on the snapshot; changes are rolled back). Views meant for people come first: use measurements for model names.');
  const order = [...db.manifest.views.map((v) => v.name), 'recommendations'];
  const rank = (n: string): number => (order.includes(n) ? order.indexOf(n) : order.length);
  const schema = (await db.all(SCHEMA_SQL)).sort((a, b) => rank(String(a.table_name)) - rank(String(b.table_name)) || String(a.table_name).localeCompare(String(b.table_name)));
  const tree = h('div', { class: 'schema', 'data-testid': 'schema' }, ...schema.map((t, i) => h('details', i < 2 ? { open: '' } : {},
    h('summary', {}, String(t.table_name), ' ', h('span', { class: 'kind' }, String(t.table_type) === 'VIEW' ? 'view' : 'table')),
    h('ul', {}, ...String(t.cols).split('\n').map((c) => h('li', {}, c))))));
  const input = h('textarea', { 'data-testid': 'sql-input', spellcheck: 'false' });
  input.value = 'SELECT model_name, browser, backend, count(*) AS n, median(p50_ms) AS p50_ms\nFROM measurements GROUP BY ALL ORDER BY p50_ms';
  const out = h('div', { class: 'result', 'data-testid': 'sql-result' });
  const run = h('button', { type: 'button', 'data-testid': 'sql-run' }, 'Run');
  run.addEventListener('click', () => {
    out.replaceChildren(h('p', { class: 'empty' }, 'running…'));
    db.readOnly(input.value).then((rows) => {
      const cols = rows.length === 0 ? [] : Object.keys(rows[0]!);
      out.replaceChildren(h('p', { class: 'empty', 'data-testid': 'sql-count' }, `${rows.length} row(s)`),
        table('sql-table', cols, rows.slice(0, 1000), (r) => cols.map((c) => (typeof r[c] === 'number' ? r[c] : text(r[c])))));
    }, (error: unknown) => {
      out.replaceChildren(h('p', { class: 'error', 'data-testid': 'sql-error' }, error instanceof Error ? error.message : String(error)));
    });
  });
  s.append(h('div', { class: 'sql' }, tree, h('div', {}, input, run, out)));
  return s;
}
