/**
 * `PoolDatabase` on DuckDB: what a pool started with a database path gets. It records every event, answers the
 * report, visualization and recommendation calls, advises routing from stored history, and on close flushes,
 * scans for regressions and closes the file. The pool defines the interface; this implements it.
 */
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';

import type {
  BrowserRecommendation,
  PerformanceReportRequest,
  PoolDatabase,
  PoolEventSource,
  VisualizationRequest,
} from '@browser-pool/pool';

import { loadCandidates, recommend } from '../analysis/recommend';
import { scanRegressions } from '../analysis/regression-scan';
import { DbError, DbErrorCode } from '../errors';
import { PoolRecorder, type RecorderOptions } from '../recorder/recorder';
import { type ChartMetric, overTimeChart } from '../report/charts';
import { gatherReport } from '../report/data';
import { renderCsv, renderHtml, renderJson, renderMarkdown } from '../report/render';
import { stackCharts } from '../report/svg';
import { performanceTable } from '../report/tables';
import { Store } from '../store/store';
import { HistoryAdvisor } from './advisor';

/** Renders an SVG document to PNG bytes (the cli wiring passes one that uses the Chromium we already drive). */
export type Rasterizer = (svg: string, size: { width: number; height: number }) => Promise<Uint8Array>;

export interface PoolDatabaseOptions extends RecorderOptions {
  /** @default BENCHMARK_DB_PATH or ./benchmark_db.duckdb */
  path?: string;
  /** Needed for `.png` visualizations. @default none (PNG output is refused with a clear error) */
  rasterize?: Rasterizer;
  /** Samples a recommendation needs before it steers routing. @default 30 */
  routingMinSamples?: number;
  /** How often routing advice is re-read from the database (ms); 0 reads it only at open. @default 60_000 */
  adviceRefreshMs?: number;
  /** Run the regression scan over stored history when the pool closes (incremental: only series with new points are detected again). @default true */
  scanOnClose?: boolean;
}

export class DuckDBPoolDatabase implements PoolDatabase {
  private recorderInstance: PoolRecorder | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    readonly store: Store,
    readonly advisor: HistoryAdvisor,
    private readonly options: PoolDatabaseOptions,
  ) {}

  /** Opens (and migrates) the file and loads routing advice from its history. */
  static async open(options: PoolDatabaseOptions = {}): Promise<DuckDBPoolDatabase> {
    const store = await Store.open({ path: options.path });
    const advisor = new HistoryAdvisor(options.routingMinSamples ?? 30);
    advisor.update(recommend(await loadCandidates(store)));
    return new DuckDBPoolDatabase(store, advisor, options);
  }

  /** The recorder, once the pool has started. */
  get recorder(): PoolRecorder | undefined {
    return this.recorderInstance;
  }

  async attach(pool: PoolEventSource): Promise<void> {
    this.recorderInstance = await PoolRecorder.create(this.store, this.options);
    this.recorderInstance.attach(pool);
    const every = this.options.adviceRefreshMs ?? 60_000;
    if (every > 0) {
      this.refreshTimer = setInterval(() => {
        loadCandidates(this.store)
          .then((c) => this.advisor.update(recommend(c)))
          .catch(() => undefined); // advice stays at the last snapshot; the next refresh retries
      }, every);
      this.refreshTimer.unref();
    }
  }

  async performanceReport(request: PerformanceReportRequest = {}): Promise<string> {
    const format = request.format ?? 'markdown';
    this.checkpoint();
    const data = await gatherReport(this.store, { days: request.days, model: request.model, browser: request.browser });
    switch (format) {
      case 'markdown':
        return renderMarkdown(data);
      case 'html':
        return renderHtml(data);
      case 'json':
        return renderJson(data);
      case 'csv':
        return renderCsv(performanceTable(data));
      default:
        throw new DbError(DbErrorCode.InvalidArgument, `format must be markdown | html | json | csv, got ${JSON.stringify(format)}`);
    }
  }

  async performanceVisualization(request: VisualizationRequest): Promise<string> {
    const ext = extname(request.outputFile).toLowerCase();
    if (ext !== '.svg' && ext !== '.png') {
      throw new DbError(DbErrorCode.InvalidArgument, `outputFile must end in .svg or .png, got ${JSON.stringify(request.outputFile)}`);
    }
    const metrics: ChartMetric[] = request.metrics ?? ['latency', 'throughput'];
    for (const m of metrics) {
      if (!['latency', 'throughput', 'memory'].includes(m)) {
        throw new DbError(DbErrorCode.InvalidArgument, `metrics must be latency | throughput | memory, got ${JSON.stringify(m)}`);
      }
    }
    this.checkpoint();
    const data = await gatherReport(this.store, { days: request.days, model: request.model });
    const { svg, width, height } = stackCharts(metrics.map((m) => overTimeChart(data, m)));
    if (ext === '.svg') {
      await writeFile(request.outputFile, svg);
    } else {
      if (this.options.rasterize === undefined) {
        throw new DbError(DbErrorCode.InvalidArgument, 'PNG output needs a rasterizer (createPool from the cli package provides one); write .svg instead');
      }
      await writeFile(request.outputFile, await this.options.rasterize(svg, { width, height }));
    }
    return request.outputFile;
  }

  async browserRecommendations(): Promise<BrowserRecommendation[]> {
    this.checkpoint();
    return recommend(await loadCandidates(this.store));
  }

  /** Reports read the database: first write the open series window and everything buffered. */
  private checkpoint(): void {
    if (this.recorderInstance === undefined) {
      this.store.flushAll();
    } else {
      this.recorderInstance.checkpoint();
    }
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    clearInterval(this.refreshTimer);
    try {
      await this.recorderInstance?.close();
      if (this.options.scanOnClose ?? true) {
        // Only the series this pool (or anything since the last such scan) added points to are detected again.
        await scanRegressions(this.store, { incremental: true });
      }
    } finally {
      this.store.close();
    }
  }
}
