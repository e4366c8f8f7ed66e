/** The report's charts, built from `ReportData`: one function per chart, each an SVG string. */
import type { ReportData } from './data';
import { barChart, heatmap, lineChart, type LineSeries } from './svg';

const MAX_SERIES = 10;

export type ChartMetric = 'latency' | 'throughput' | 'memory';

/** Latency (p50) or throughput over time, one line per model/browser/backend/batch. */
export function overTimeChart(d: ReportData, metric: ChartMetric): string {
  const series: LineSeries[] = d.trends.slice(0, MAX_SERIES).map((t) => ({
    name: `${t.model} ${t.browser}/${t.backend} b${t.batchSize}`,
    points:
      metric === 'throughput'
        ? t.points.filter((p) => p.throughput !== null).map((p) => [p.at, p.throughput!] as [number, number])
        : t.points.map((p) => [p.at, p.p50] as [number, number]),
  }));
  if (metric === 'memory') {
    const rows = d.performance.filter((p) => p.memoryMb !== null);
    return barChart({ title: 'Page memory (max, MiB)', yLabel: 'MiB', bars: rows.map((p) => ({ label: `${p.model} ${p.browser}/${p.backend}`, value: p.memoryMb! })) });
  }
  return lineChart({
    title: metric === 'throughput' ? 'Throughput over time' : 'Latency (p50) over time',
    yLabel: metric === 'throughput' ? 'items/s' : 'ms',
    xLabel: 'time (UTC)',
    series,
    xKind: 'time',
  });
}

/** p50 per browser/backend for each model (batch 1). */
export function browserComparisonChart(d: ReportData): string {
  const rows = d.performance.filter((p) => p.batchSize === 1).slice(0, 24);
  return barChart({
    title: 'Browser and backend comparison (p50 end-to-end, batch 1)',
    yLabel: 'ms',
    bars: rows.map((p) => ({ label: `${p.model} ${p.browser}/${p.backend}${p.isRealHardware ? '' : ' (sw)'}`, value: p.p50Ms })),
  });
}

/** Ratio on/off per flag and metric, with 95 % intervals; the dashed line at 1 is "no effect". */
export function optimizationChart(d: ReportData): string {
  return barChart({
    title: 'Optimization impact (on/off ratio, < 1 is better)',
    yLabel: 'ratio',
    reference: 1,
    bars: d.impact.slice(0, 24).map((i) => ({ label: `${i.name} ${i.metric} ${i.model}`, value: i.ratio, interval: i.interval })),
  });
}

/** Best p50 per model x browser (any backend). */
export function heatmapChart(d: ReportData): string {
  const models = [...new Set(d.performance.map((p) => p.model))];
  const browsers = [...new Set(d.performance.map((p) => p.browser))];
  const cells = models.map((m) =>
    browsers.map((b) => {
      const vals = d.performance.filter((p) => p.model === m && p.browser === b).map((p) => p.p50Ms);
      return vals.length === 0 ? undefined : Math.min(...vals);
    }),
  );
  return heatmap({ title: 'Model x browser: best p50 latency', rows: models, cols: browsers, cells, unit: 'ms' });
}

/** p50 against batch size for series measured at two or more batch sizes. */
export function batchScalingChart(d: ReportData): string {
  const groups = new Map<string, [number, number][]>();
  for (const p of d.performance) {
    const key = `${p.model} ${p.browser}/${p.backend}`;
    groups.set(key, [...(groups.get(key) ?? []), [p.batchSize, p.p50Ms]]);
  }
  const series = [...groups]
    .filter(([, pts]) => pts.length >= 2)
    .slice(0, MAX_SERIES)
    .map(([name, pts]) => ({ name, points: pts.sort((a, b) => a[0] - b[0]) }));
  return lineChart({ title: 'Batch-size scaling (p50)', yLabel: 'ms', xLabel: 'batch size', series, xKind: 'linear' });
}
