/**
 * One report kind in one format, as the CLI's `report` and the REST `/reports/:kind` serve it: the full performance
 * report, or the compatibility, regressions, recommendations or optimization-flag table alone. Also renders any query
 * result as a table.
 */
import { explainRecommendation } from '../analysis/limits';
import { DbError, DbErrorCode } from '../errors';
import type { Row, Store } from '../store/store';
import { optimizationChart } from './charts';
import { gatherReport, type ReportData, type ReportFilter } from './data';
import { htmlPage, htmlTable, mdTable, renderCsv, renderHtml, renderJson, renderMarkdown } from './render';
import { compatibilityTable, optimizationTable, performanceTable, recommendationsTable, regressionsTable, type Table } from './tables';

export const REPORT_KINDS = ['performance', 'compatibility', 'regressions', 'recommendations', 'optimization'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
export const OUTPUT_FORMATS = ['md', 'html', 'json', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const CONTENT_TYPES: Record<OutputFormat, string> = {
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

function oneOf<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new DbError(DbErrorCode.InvalidArgument, `${what} must be one of ${allowed.join(' | ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

const TABLES: Record<Exclude<ReportKind, 'performance'>, { table: (d: ReportData) => Table; data: (d: ReportData) => unknown }> = {
  compatibility: { table: compatibilityTable, data: (d) => d.compatibility },
  regressions: { table: regressionsTable, data: (d) => d.regressions },
  recommendations: { table: recommendationsTable, data: (d) => d.recommendations.map((r) => ({ ...r, boundBy: explainRecommendation(r, d.limits) })) },
  optimization: { table: optimizationTable, data: (d) => d.impact },
};

/** Renders `kind` as `format`. @throws DbError E_DB_INVALID_ARGUMENT for an unknown kind or format */
export async function renderReport(store: Store, kind: string, format: string, filter: ReportFilter = {}): Promise<string> {
  const k = oneOf('report kind', kind, REPORT_KINDS);
  const f = oneOf('format', format, OUTPUT_FORMATS);
  store.flushAll();
  const data = await gatherReport(store, filter);
  if (k === 'performance') {
    return { md: renderMarkdown, html: renderHtml, json: renderJson, csv: (d: ReportData) => renderCsv(performanceTable(d)) }[f](data);
  }
  const { table, data: pickData } = TABLES[k];
  const t = table(data);
  const meta = [`Generated ${data.generatedAt.toISOString()} from ${data.database}, last ${data.filter.days} days`];
  switch (f) {
    case 'md':
      return `# browser-pool ${k} report\n\n${meta.join('\n')}\n\n${mdTable(t)}`;
    case 'html':
      return htmlPage(`browser-pool ${k} report`, meta, (k === 'optimization' && data.impact.length > 0 ? `<div class="charts">${optimizationChart(data)}</div>` : '') + htmlTable(t));
    case 'json':
      return JSON.stringify(pickData(data), null, 2);
    case 'csv':
      return renderCsv(t);
  }
}

/** Query results as a table in any output format. */
export function renderRows(title: string, columns: readonly string[], rows: readonly Row[], format: string): string {
  const f = oneOf('format', format, OUTPUT_FORMATS);
  if (f === 'json') {
    return JSON.stringify(rows, null, 2);
  }
  const t: Table = { title, headers: [...columns], rows: rows.map((r) => columns.map((c) => cellText(r[c]))) };
  return f === 'md' ? mdTable(t) : f === 'csv' ? renderCsv(t) : htmlPage(title, [], htmlTable(t));
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) {
    return '';
  }
  if (v instanceof Date) {
    return v.toISOString();
  }
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : JSON.stringify(v);
}
