/**
 * Aggregates inference samples into `time_series_performance` rows: one row per model x browser x requested
 * backend x actual backend x batch x flags x adapter x browser version per window. Raw samples stay in `webnn_webgpu_performance`;
 * these rows are the points that trend and regression analysis read.
 */
import { mean, quantileSorted, stdev } from '../analysis/stats';
import type { Value } from '../store/table-writer';

export interface SeriesSample {
  at: number;
  model: string;
  modelType: string;
  browser: string;
  /** What the connection's browser reported, when it did: an update is an environment change for the scan. */
  browserVersion: string | undefined;
  requestedBackend: string;
  backend: string;
  batchSize: number;
  endToEndMs: number;
  computeMs: number;
  firstRun: boolean;
  connectionId: string;
  isRealHardware: boolean;
  softwareReason: string | undefined;
  adapterVendor: string | undefined;
  adapterArchitecture: string | undefined;
  computeShaderOptimized: boolean | null;
}

interface Bucket {
  first: SeriesSample;
  start: number;
  end: number;
  e2e: number[];
  compute: number[];
  firstRunMs: number | undefined;
  connections: Set<string>;
}

function keyOf(s: SeriesSample): string {
  return [s.model, s.browser, s.browserVersion ?? '-', s.requestedBackend, s.backend, s.batchSize, s.adapterArchitecture ?? '-', String(s.computeShaderOptimized)].join('|');
}

export class SeriesAggregator {
  private buckets = new Map<string, Bucket>();
  /** Session create times per model x browser x backend, reported with the next row of that series. */
  private loads = new Map<string, number[]>();

  add(s: SeriesSample): void {
    const key = keyOf(s);
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = { first: s, start: s.at - s.endToEndMs, end: s.at, e2e: [], compute: [], firstRunMs: undefined, connections: new Set() };
      this.buckets.set(key, b);
    }
    b.end = s.at;
    b.connections.add(s.connectionId);
    if (s.firstRun) {
      // A first run (shader compilation, warm-up) is not steady-state latency: kept apart.
      b.firstRunMs = s.endToEndMs;
      return;
    }
    b.e2e.push(s.endToEndMs);
    b.compute.push(s.computeMs);
  }

  addLoad(model: string, browser: string, backend: string, createMs: number): void {
    const key = `${model}|${browser}|${backend}`;
    this.loads.set(key, [...(this.loads.get(key) ?? []), createMs]);
  }

  /** Rows for every series with steady-state samples, and resets the window. */
  drain(memoryMbOf: (connectionIds: ReadonlySet<string>) => number | undefined): Record<string, Value>[] {
    const rows: Record<string, Value>[] = [];
    for (const b of this.buckets.values()) {
      if (b.e2e.length === 0) {
        continue; // only a first run so far: keep it for the next window
      }
      const e2e = [...b.e2e].sort((x, y) => x - y);
      const compute = [...b.compute].sort((x, y) => x - y);
      const s = b.first;
      const loads = this.loads.get(`${s.model}|${s.browser}|${s.backend}`);
      this.loads.delete(`${s.model}|${s.browser}|${s.backend}`);
      const spanS = (b.end - b.start) / 1000;
      rows.push({
        recorded_at: new Date(b.end),
        window_start: new Date(b.start),
        model_name: s.model,
        model_type: s.modelType,
        browser: s.browser,
        browser_version: s.browserVersion ?? null,
        requested_backend: s.requestedBackend,
        backend: s.backend,
        batch_size: s.batchSize,
        samples: e2e.length,
        mean_ms: mean(e2e),
        p50_ms: quantileSorted(e2e, 0.5),
        p90_ms: quantileSorted(e2e, 0.9),
        p99_ms: quantileSorted(e2e, 0.99),
        stdev_ms: stdev(e2e),
        compute_p50_ms: quantileSorted(compute, 0.5),
        throughput: e2e.length > 1 && spanS > 0 ? (e2e.length * s.batchSize) / spanS : null,
        init_ms: loads === undefined ? null : quantileSorted([...loads].sort((x, y) => x - y), 0.5),
        first_run_ms: b.firstRunMs ?? null,
        memory_mb: memoryMbOf(b.connections) ?? null,
        is_real_hardware: s.isRealHardware,
        is_simulated: !s.isRealHardware,
        simulation_reason: s.softwareReason ?? null,
        adapter_vendor: s.adapterVendor ?? null,
        adapter_architecture: s.adapterArchitecture ?? null,
        compute_shader_optimized: s.computeShaderOptimized,
      });
    }
    this.buckets = new Map([...this.buckets].filter(([, b]) => b.e2e.length === 0));
    return rows;
  }
}
