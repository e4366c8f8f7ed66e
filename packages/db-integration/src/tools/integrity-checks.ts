/**
 * The checks `db check` derives from the schema itself rather than from a hand-kept list, so a column or table added
 * by a later migration is covered without anyone remembering to add it: every floating-point column is checked for
 * NaN and ±Infinity, and every id column that names another table's primary key is checked for rows pointing nowhere.
 */
import type { Store } from '../store/store';

/** One derived finding: the check, the table, how many rows, and which columns or keys it concerns. */
export interface DerivedFinding {
  check: 'non_finite' | 'dangling_keys';
  table: string;
  count: number;
  detail: string;
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Base tables of the main schema with their columns and types. */
async function columns(store: Store): Promise<{ table: string; column: string; type: string }[]> {
  const rows = await store.all<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
     WHERE c.table_schema = 'main' AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position`,
  );
  return rows.map((r) => ({ table: r.table_name, column: r.column_name, type: r.data_type }));
}

/**
 * Rows holding NaN or ±Infinity in any DOUBLE/FLOAT column, one finding per table that has such columns. Integer and
 * DECIMAL columns cannot hold either, so they are not queried.
 */
export async function nonFiniteFindings(store: Store): Promise<DerivedFinding[]> {
  const byTable = new Map<string, string[]>();
  for (const c of await columns(store)) {
    if (c.type === 'DOUBLE' || c.type === 'FLOAT' || c.type === 'REAL') {
      byTable.set(c.table, [...(byTable.get(c.table) ?? []), c.column]);
    }
  }
  const out: DerivedFinding[] = [];
  for (const [table, cols] of byTable) {
    const counts = cols.map((c) => `count(*) FILTER (WHERE NOT isfinite(${quote(c)})) AS ${quote(c)}`).join(', ');
    const row = (await store.one<Record<string, number>>(`SELECT count(*) FILTER (WHERE ${cols.map((c) => `NOT isfinite(${quote(c)})`).join(' OR ')}) AS "__rows", ${counts} FROM ${quote(table)}`)) ?? {};
    const bad = cols.filter((c) => Number(row[c] ?? 0) > 0).map((c) => `${c} (${row[c]})`);
    out.push({
      check: 'non_finite',
      table,
      count: Number(row.__rows ?? 0),
      detail: bad.length === 0 ? `NaN or ±Infinity in ${cols.length} floating-point column(s)` : `NaN or ±Infinity in ${bad.join(', ')}`,
    });
  }
  return out;
}

/** A key column in one table and the table whose primary key it names. */
export interface KeyReference {
  table: string;
  column: string;
  references: string;
}

/**
 * The schema's references, derived by name: a column called like another table's single-column primary key
 * (`run_id` -> test_runs, `model_id` -> models, `hardware_id`, `result_id`) refers to it. The schema declares no
 * FOREIGN KEY constraints (DuckDB cannot update a referenced row), so names are the only record of the relation.
 */
export async function keyReferences(store: Store): Promise<KeyReference[]> {
  const pks = await store.all<{ table_name: string; cols: string[] }>(
    "SELECT table_name, constraint_column_names AS cols FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' AND schema_name = 'main'",
  );
  // a generic `id` or a key shared by two tables cannot name one owner
  const owner = new Map<string, string | null>();
  for (const pk of pks) {
    const col = pk.cols.length === 1 ? pk.cols[0]! : undefined;
    if (col === undefined || col === 'id') {
      continue;
    }
    owner.set(col, owner.has(col) ? null : pk.table_name);
  }
  const out: KeyReference[] = [];
  for (const c of await columns(store)) {
    const references = owner.get(c.column);
    if (references !== undefined && references !== null && references !== c.table) {
      out.push({ table: c.table, column: c.column, references });
    }
  }
  return out;
}

/** Rows whose key is set but names no row of the referenced table, one finding per reference. */
export async function danglingKeyFindings(store: Store): Promise<DerivedFinding[]> {
  const out: DerivedFinding[] = [];
  for (const ref of await keyReferences(store)) {
    const col = quote(ref.column);
    const row = await store.one<{ n: number }>(
      `SELECT count(*) AS n FROM ${quote(ref.table)} t WHERE t.${col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${quote(ref.references)} r WHERE r.${col} = t.${col})`,
    );
    out.push({ check: 'dangling_keys', table: ref.table, count: Number(row?.n ?? 0), detail: `${ref.column} names no row of ${ref.references}` });
  }
  return out;
}
