/** Tiny DOM helpers: the dashboard is plain DOM, no framework (small bundle, nothing to learn). */

type Child = Node | string | number | null | undefined | false;

/** Creates an element with attributes and children; `text` children are escaped by the DOM, never parsed as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    el.setAttribute(k, v);
  }
  for (const c of children) {
    if (c !== null && c !== undefined && c !== false) {
      el.append(typeof c === 'number' ? String(c) : c);
    }
  }
  return el;
}

/** A view: a section with a title and the one question it answers. */
export function section(id: string, title: string, question: string): HTMLElement {
  return h('section', { id, 'data-testid': id }, h('h2', {}, title), h('p', { class: 'question' }, question));
}

/** A cell value as text: query results may hold nested values (lists, structs) that String() would print as [object Object]. */
export function text(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
    case 'bigint':
      return v.toString();
    case 'undefined':
      return 'NULL';
    default:
      return v === null ? 'NULL' : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x));
  }
}

export const fmtMs = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(2) : '–');

/** Real GPU hardware vs a software adapter, shown wherever a number is: never mixed without saying so. */
export function hardwareBadge(real: unknown): HTMLElement {
  return real === true
    ? h('span', { class: 'badge real', title: 'measured on real hardware (or CPU backend)' }, 'real hardware')
    : h('span', { class: 'badge software', title: 'software adapter (SwiftShader, lavapipe): real execution, not GPU speed' }, 'software adapter');
}

/** A table of rows; `cells` turns a row into its cells. */
export function table<T>(testid: string, headers: readonly string[], rows: readonly T[], cells: (row: T) => Child[]): HTMLElement {
  if (rows.length === 0) {
    return h('p', { class: 'empty', 'data-testid': `${testid}-empty` }, 'No rows in this snapshot.');
  }
  const body = h('tbody');
  for (const r of rows) {
    const tr = h('tr');
    for (const c of cells(r)) {
      tr.append(c instanceof HTMLTableCellElement ? c : h('td', typeof c === 'number' ? { class: 'num' } : {}, c));
    }
    body.append(tr);
  }
  return h('table', { 'data-testid': testid }, h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', {}, x)))), body);
}
