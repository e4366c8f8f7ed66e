import { describe, expect, it } from 'vitest';

import type { PerformanceRow, ReportData } from './data';
import { renderHtml, renderMarkdown } from './render';

const empty: ReportData = {
  generatedAt: new Date('2026-01-01T00:00:00Z'), database: 'x.duckdb', schemaVersion: 8, filter: { days: 30 }, gitCommit: undefined,
  recommendations: [], limits: [], performance: [], regressions: [], trends: [], impact: [], compatibility: [],
};

const perf = (batchSize: number, p50Ms: number): PerformanceRow => ({
  model: 'bert-tiny', modelType: 'text_embedding', browser: 'chromium', backend: 'wasm', batchSize, samples: 40, p50Ms, p90Ms: p50Ms, p99Ms: p50Ms,
  throughput: null, initMs: null, firstRunMs: null, memoryMb: null, isRealHardware: true, note: null,
});

describe('static report', () => {
  it('collapses every empty table and chart to one line naming what is missing and the command that produces it', () => {
    const html = renderHtml(empty);
    expect(html).not.toMatch(/<svg|<table|<h2>Charts/);
    const lines = html.match(/<p class="empty">.*?<\/p>/g) ?? [];
    expect(lines).toHaveLength(10); // 5 tables + 5 charts
    for (const l of lines) {
      expect(l).toMatch(/^<p class="empty"><strong>[^<]+<\/strong>: .*<code>[^<]*browser-pool [^<]+<\/code>/);
    }
    const md = renderMarkdown(empty);
    expect(md).not.toContain('|');
    expect(md).toContain('_Browser recommendations: no measurements in the last 30 days: run `browser-pool bench`');
  });

  it('draws only charts with data, scaled to the width (CSS width 100 % over each SVG viewBox)', () => {
    const html = renderHtml({ ...empty, performance: [perf(1, 2), perf(4, 7)] });
    expect(html).toContain('.charts svg{border:1px solid #e5e7eb;width:100%;height:auto;display:block}');
    const svgs = html.match(/<svg [^>]*>/g) ?? [];
    expect(svgs).toHaveLength(3); // comparison, heatmap, batch scaling; no series over time
    expect(svgs.every((s) => /viewBox="0 0 \d+ \d+"/.test(s))).toBe(true);
    expect(html).toMatch(/<strong>Latency over time<\/strong>: no series over time/);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  });
});
