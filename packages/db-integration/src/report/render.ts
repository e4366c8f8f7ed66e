/**
 * Report renderers: Markdown, self-contained HTML (inline CSS and SVG, recommendations first, no external
 * resource), JSON (the full data) and CSV (one table).
 */
import { batchScalingChart, browserComparisonChart, heatmapChart, overTimeChart } from './charts';
import type { ReportData } from './data';
import { escapeXml } from './svg';
import { allTables, type Table } from './tables';

function header(d: ReportData): string[] {
  const f = d.filter;
  return [
    `Generated ${d.generatedAt.toISOString()} from ${d.database} (schema v${d.schemaVersion}), last ${f.days} days` +
      (f.model === undefined ? '' : `, model ${f.model}`) +
      (f.browser === undefined ? '' : `, browser ${f.browser}`) +
      (d.gitCommit === undefined ? '' : `, at commit ${d.gitCommit.slice(0, 12)}`),
    'Every figure was measured; rows marked "not real hardware" ran on a software WebGPU adapter.',
  ];
}

const mdCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function mdTable(t: Table): string {
  if (t.rows.length === 0) {
    return `## ${t.title}\n\n_No data._\n`;
  }
  return [`## ${t.title}`, '', `| ${t.headers.join(' | ')} |`, `|${t.headers.map(() => ' --- ').join('|')}|`, ...t.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`), ''].join('\n');
}

export function renderMarkdown(d: ReportData): string {
  return ['# browser-pool performance report', '', ...header(d), '', ...allTables(d).map(mdTable)].join('\n');
}

export function htmlTable(t: Table): string {
  const body =
    t.rows.length === 0
      ? '<p class="empty">No data.</p>'
      : `<table><thead><tr>${t.headers.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>${t.rows
          .map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`;
  return `<section><h2>${escapeXml(t.title)}</h2>${body}</section>`;
}

const CSS = `body{font:14px system-ui,sans-serif;margin:24px;color:#111;max-width:1400px}h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;font-size:12px}th,td{border:1px solid #d1d5db;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f3f4f6}.charts{display:flex;flex-wrap:wrap;gap:12px}.charts svg{border:1px solid #e5e7eb}.empty{color:#6b7280}.meta{color:#4b5563}`;

/** A self-contained page around some tables (single-kind reports, query results). */
export function htmlPage(title: string, meta: readonly string[], body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${CSS}</style></head><body>
<h1>${escapeXml(title)}</h1>${meta.map((l) => `<p class="meta">${escapeXml(l)}</p>`).join('')}
${body}
</body></html>`;
}

export function renderHtml(d: ReportData): string {
  const [recs, ...rest] = allTables(d);
  const charts = [overTimeChart(d, 'latency'), overTimeChart(d, 'throughput'), browserComparisonChart(d), heatmapChart(d), batchScalingChart(d)];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>browser-pool performance report</title><style>${CSS}</style></head><body>
<h1>browser-pool performance report</h1>${header(d)
    .map((l) => `<p class="meta">${escapeXml(l)}</p>`)
    .join('')}
${htmlTable(recs!)}
<section><h2>Charts</h2><div class="charts">${charts.join('')}</div></section>
${rest.map(htmlTable).join('\n')}
</body></html>`;
}

export function renderJson(d: ReportData): string {
  return JSON.stringify(d, null, 2);
}

const csvCell = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function renderCsv(t: Table): string {
  return [t.headers, ...t.rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}
