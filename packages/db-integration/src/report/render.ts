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
    return `_${t.title}: ${t.empty ?? 'no rows'}._\n`;
  }
  return [`## ${t.title}`, '', `| ${t.headers.join(' | ')} |`, `|${t.headers.map(() => ' --- ').join('|')}|`, ...t.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`), ''].join('\n');
}

export function renderMarkdown(d: ReportData): string {
  return ['# browser-pool performance report', '', ...header(d), '', ...allTables(d).map(mdTable)].join('\n');
}

/** One line in place of an empty table or chart: what is missing and the command that produces it (`code` spans set as code). */
function emptyLine(title: string, missing: string): string {
  return `<p class="empty"><strong>${escapeXml(title)}</strong>: ${escapeXml(missing).replace(/`([^`]+)`/g, '<code>$1</code>')}.</p>`;
}

/** A table in its section; an empty one collapses to one line saying what is missing and how to produce it. */
export function htmlTable(t: Table): string {
  if (t.rows.length === 0) {
    return emptyLine(t.title, t.empty ?? 'no rows');
  }
  const body = `<div class="scroll"><table><thead><tr>${t.headers.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>${t.rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
  return `<section><h2>${escapeXml(t.title)}</h2>${body}</section>`;
}

// Charts keep their pixel size as files (chart command, PNG) and fill the width here: CSS width 100 % with the
// viewBox they carry scales them, two per row on a wide window, one on a narrow one.
const CSS = `body{font:14px system-ui,sans-serif;margin:24px;color:#111;max-width:1600px}h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;font-size:12px}th,td{border:1px solid #d1d5db;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f3f4f6}.scroll{overflow-x:auto}.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,560px),1fr));gap:12px}
.charts svg{border:1px solid #e5e7eb;width:100%;height:auto;display:block}.empty{color:#6b7280;margin:6px 0}.meta{color:#4b5563}`;

/** A self-contained page around some tables (single-kind reports, query results). */
export function htmlPage(title: string, meta: readonly string[], body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeXml(title)}</title><style>${CSS}</style></head><body>
<h1>${escapeXml(title)}</h1>${meta.map((l) => `<p class="meta">${escapeXml(l)}</p>`).join('')}
${body}
</body></html>`;
}

/** Each chart of the full report, with whether it has data and, if not, what would give it some. */
function reportCharts(d: ReportData): { title: string; svg: string; has: boolean; missing: string }[] {
  const series = 'repeat `browser-pool bench` on later days, or run a pool with the DuckDB recorder';
  const batches = new Map<string, Set<number>>();
  for (const p of d.performance) {
    batches.set(`${p.model}|${p.browser}|${p.backend}`, (batches.get(`${p.model}|${p.browser}|${p.backend}`) ?? new Set()).add(p.batchSize));
  }
  return [
    { title: 'Latency over time', svg: overTimeChart(d, 'latency'), has: d.trends.some((t) => t.points.length > 0), missing: `no series over time: ${series}` },
    { title: 'Throughput over time', svg: overTimeChart(d, 'throughput'), has: d.trends.some((t) => t.points.some((p) => p.throughput !== null)), missing: `no throughput over time: ${series}` },
    { title: 'Browser and backend comparison', svg: browserComparisonChart(d), has: d.performance.some((p) => p.batchSize === 1), missing: 'no batch-1 measurements: `browser-pool bench --batch-sizes 1`' },
    { title: 'Model x browser heatmap', svg: heatmapChart(d), has: d.performance.length > 0, missing: 'no measurements: run `browser-pool bench`' },
    { title: 'Batch-size scaling', svg: batchScalingChart(d), has: [...batches.values()].some((b) => b.size >= 2), missing: 'no model measured at two batch sizes: `browser-pool bench --batch-sizes 1,4`' },
  ];
}

export function renderHtml(d: ReportData): string {
  const [recs, ...rest] = allTables(d);
  const charts = reportCharts(d);
  const drawn = charts.filter((c) => c.has);
  const chartSection = drawn.length === 0 ? '' : `<section><h2>Charts</h2><div class="charts">${drawn.map((c) => c.svg).join('')}</div></section>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>browser-pool performance report</title><style>${CSS}</style></head><body>
<h1>browser-pool performance report</h1>${header(d)
    .map((l) => `<p class="meta">${escapeXml(l)}</p>`)
    .join('')}
${htmlTable(recs!)}
${chartSection}${charts.filter((c) => !c.has).map((c) => emptyLine(c.title, c.missing)).join('\n')}
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
