/**
 * Records a pool's events into the benchmark database. Event handlers only push rows into batched appender
 * writers (no SQL on the hot path); rows that point at models and hardware are resolved in the background.
 *
 * Durability: `close()` flushes everything (nothing recorded is lost). While running, rows are flushed every
 * `flushIntervalMs` and every `batchRows` rows; if the process is killed, every flushed batch is in the file (DuckDB
 * replays its WAL on the next open) and at most the rows of the last interval are lost.
 */
import type { PoolEvents, PoolEventSource, PoolStats } from '@browser-pool/pool';

import { Dimensions, type HardwareDescriptor } from '../store/dimensions';
import { gitInfo, systemInfo } from '../store/environment';
import type { Store } from '../store/store';
import type { TableWriter } from '../store/table-writer';
import { SeriesAggregator } from './series';
import { modelEvictedRow, workerDownRow, workerRespawnedRow } from './worker-events';

export interface RecorderOptions {
  /** Flush buffered rows at least this often (ms). @default 1000 */
  flushIntervalMs?: number;
  /** Rows per table that trigger an immediate flush. @default 2000 */
  batchRows?: number;
  /** Pool snapshot period for `resource_pool_metrics` (ms); 0 disables. @default 5000 */
  metricsIntervalMs?: number;
  /** Aggregation window of `time_series_performance` rows (ms). @default 60_000 */
  seriesIntervalMs?: number;
  /** Name of the `test_runs` row this recording belongs to. @default 'pool' */
  runName?: string;
}

type Capabilities = PoolEvents['connection:up'][0]['capabilities'];
interface KnownConnection {
  browser: string;
  browserVersion: string;
  capabilities: Capabilities;
}

type Listener = { [K in keyof PoolEvents]: [K, (...args: PoolEvents[K]) => void] }[keyof PoolEvents];

/** Counts per table of rows this recorder has written. */
export type RecorderCounts = Record<string, number>;

export class PoolRecorder {
  private readonly connections = new Map<string, KnownConnection>();
  private readonly memoryBytes = new Map<string, number>();
  private readonly series = new SeriesAggregator();
  private readonly timers: NodeJS.Timeout[] = [];
  private listeners: Listener[] = [];
  private source: PoolEventSource | undefined;
  private background: Promise<void> = Promise.resolve();
  private closed = false;
  /** Failures of background writes (never thrown into the pool's event loop); empty when all went well. */
  readonly errors: Error[] = [];

  private constructor(
    private readonly store: Store,
    private readonly dims: Dimensions,
    readonly runId: number,
    private readonly w: Record<'connections' | 'perf' | 'metrics' | 'series' | 'compat' | 'availability' | 'workers' | 'evictions', TableWriter>,
    private readonly options: Required<RecorderOptions>,
  ) {}

  static async create(store: Store, options: RecorderOptions = {}): Promise<PoolRecorder> {
    const o: Required<RecorderOptions> = {
      flushIntervalMs: options.flushIntervalMs ?? 1000,
      batchRows: options.batchRows ?? 2000,
      metricsIntervalMs: options.metricsIntervalMs ?? 5000,
      seriesIntervalMs: options.seriesIntervalMs ?? 60_000,
      runName: options.runName ?? 'pool',
    };
    const dims = new Dimensions(store);
    const runId = await dims.startRun(o.runName, 'pool');
    const writer = (table: string, idColumn: string): Promise<TableWriter> => store.writer(table, { idColumn, batchRows: o.batchRows });
    const w = {
      connections: await writer('browser_connections', 'id'),
      perf: await writer('webnn_webgpu_performance', 'id'),
      metrics: await writer('resource_pool_metrics', 'id'),
      series: await writer('time_series_performance', 'id'),
      compat: await writer('hardware_compatibility', 'compat_id'),
      availability: await writer('hardware_availability_log', 'log_id'),
      workers: await writer('page_worker_events', 'id'),
      evictions: await writer('model_evictions', 'id'),
    };
    return new PoolRecorder(store, dims, runId, w, o);
  }

  /** Subscribes to the pool's events and starts the flush, snapshot and series timers. */
  attach(source: PoolEventSource): void {
    this.source = source;
    const on = <K extends keyof PoolEvents>(name: K, fn: (...args: PoolEvents[K]) => void): Listener => [name, fn] as Listener;
    this.listeners = [
      on('connection:up', (e) => this.onConnectionUp(e)),
      on('connection:down', (e) => this.onConnectionDown(e)),
      on('browser:unavailable', (e) => this.onBrowserUnavailable(e)),
      on('model:loaded', (e) => this.onModelLoaded(e)),
      on('model:failed', (e) => this.onModelFailed(e)),
      on('inference:completed', (e) => this.onInference(e)),
      on('inference:failed', (e) => this.onInferenceFailed(e)),
      on('worker:down', (e) => this.w.workers.push(workerDownRow(this.runId, e))),
      on('worker:respawned', (e) => this.w.workers.push(workerRespawnedRow(this.runId, e))),
      on('model:evicted', (e) => this.w.evictions.push(modelEvictedRow(this.runId, e))),
    ];
    for (const [name, fn] of this.listeners) {
      source.on(name, fn as never);
    }
    const every = (ms: number, fn: () => void): void => {
      if (ms > 0) {
        const t = setInterval(fn, ms);
        t.unref();
        this.timers.push(t);
      }
    };
    every(this.options.flushIntervalMs, () => this.store.flushAll());
    every(this.options.metricsIntervalMs, () => this.snapshot(source.stats()));
    every(this.options.seriesIntervalMs, () => this.drainSeries());
  }

  /** Rows written per table so far (flushed). */
  counts(): RecorderCounts {
    return Object.fromEntries(Object.values(this.w).map((w) => [w.table, w.flushedRows]));
  }

  /**
   * Closes the current series window early and flushes every writer, so that a report asked for now sees
   * everything recorded so far.
   */
  checkpoint(): void {
    if (!this.closed) {
      this.drainSeries();
      this.store.flushAll();
    }
  }

  /** Stops listening, writes the last series window, flushes everything and closes the run. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    for (const t of this.timers.splice(0)) {
      clearInterval(t);
    }
    for (const [name, fn] of this.listeners) {
      this.source?.off(name, fn as never);
    }
    this.drainSeries();
    await this.background;
    this.store.flushAll();
    await this.dims.endRun(this.runId, this.errors.length === 0);
  }

  // ---- handlers (synchronous: they only push rows) ----

  private onConnectionUp(e: PoolEvents['connection:up'][0]): void {
    this.connections.set(e.connectionId, { browser: e.browser, browserVersion: e.browserVersion, capabilities: e.capabilities });
    const gpu = e.capabilities.webgpu;
    const now = new Date();
    this.w.connections.push({
      recorded_at: now,
      run_id: this.runId,
      event: 'up',
      connection_id: e.connectionId,
      browser: e.browser,
      browser_version: e.browserVersion,
      launch_ms: e.launchMs,
      reason: e.reason,
      webgpu_available: gpu.available,
      webnn_available: Object.values(e.capabilities.webnn.devices).some((d) => d.available),
      wasm_simd: e.capabilities.wasm.simd,
      wasm_threads: e.capabilities.wasm.threads,
      is_real_hardware: gpu.available ? gpu.isRealHardware : null,
      software_reason: gpu.available ? (gpu.softwareReason ?? null) : null,
      adapter_info: gpu.available ? gpu.adapter : null,
      browser_info: e.capabilities,
    });
    const log = (backend: string, available: boolean, isReal: boolean | null, reason: string | null, details: object | null): void => {
      this.w.availability.push({
        checked_at: now,
        run_id: this.runId,
        browser: e.browser,
        browser_version: e.browserVersion,
        backend,
        available,
        is_real_hardware: isReal,
        reason,
        details,
      });
    };
    log('webgpu', gpu.available, gpu.available ? gpu.isRealHardware : null, gpu.available ? (gpu.softwareReason ?? null) : gpu.reason, gpu.available ? gpu.adapter : null);
    for (const [device, d] of Object.entries(e.capabilities.webnn.devices)) {
      log(`webnn-${device}`, d.available, d.available ? true : null, d.available ? null : d.error, null);
    }
    log('wasm', true, true, null, e.capabilities.wasm);
  }

  private onConnectionDown(e: PoolEvents['connection:down'][0]): void {
    const c = this.connections.get(e.connectionId);
    this.w.connections.push({
      recorded_at: new Date(),
      run_id: this.runId,
      event: 'down',
      connection_id: e.connectionId,
      browser: e.browser,
      browser_version: c?.browserVersion,
      reason: e.reason,
      error_code: e.code,
      expected: e.expected,
    });
  }

  private onBrowserUnavailable(e: PoolEvents['browser:unavailable'][0]): void {
    const now = new Date();
    this.w.connections.push({ recorded_at: now, run_id: this.runId, event: 'unavailable', browser: e.browser, reason: e.reason, error_code: e.code });
    this.w.availability.push({ checked_at: now, run_id: this.runId, browser: e.browser, backend: '*', available: false, reason: e.reason, details: { code: e.code } });
  }

  private onModelLoaded(e: PoolEvents['model:loaded'][0]): void {
    const p = e.placement;
    this.series.addLoad(e.model, p.browser, p.backend, e.createMs);
    const base = { browser: p.browser, browserVersion: p.browserVersion };
    const gpu = this.connections.get(p.connectionId)?.capabilities.webgpu;
    this.later(async () => {
      const modelId = await this.dims.modelId({ name: e.model, type: e.modelType });
      const works = await this.dims.hardwareId({ ...base, ...this.hardwareOf(p.connectionId, p.backend) });
      this.w.compat.push({ run_id: this.runId, model_id: modelId, hardware_id: works, is_compatible: true, detected_at: new Date() });
      for (const f of p.fallbacks) {
        const hw = await this.dims.hardwareId({ ...base, ...this.hardwareOf(p.connectionId, f.backend, gpu) });
        this.w.compat.push({ run_id: this.runId, model_id: modelId, hardware_id: hw, is_compatible: false, error_code: f.code, error_message: f.reason, detected_at: new Date() });
      }
    });
  }

  private onModelFailed(e: PoolEvents['model:failed'][0]): void {
    const version = this.connections.get(e.connectionId)?.browserVersion;
    this.later(async () => {
      const modelId = await this.dims.modelId({ name: e.model, type: e.modelType });
      for (const backend of e.requestedBackends) {
        const hw = await this.dims.hardwareId({ browser: e.browser, browserVersion: version, ...this.hardwareOf(e.connectionId, backend) });
        this.w.compat.push({ run_id: this.runId, model_id: modelId, hardware_id: hw, is_compatible: false, error_code: e.code, error_message: e.message, detected_at: new Date() });
      }
    });
  }

  private onInference(e: PoolEvents['inference:completed'][0]): void {
    const hw = this.hardwareOf(e.connectionId, e.backend);
    const optimized = e.backend === 'webgpu' ? e.sessionOptions.webgpu !== undefined && Object.keys(e.sessionOptions.webgpu).length > 0 : null;
    const now = Date.now();
    this.w.perf.push({
      recorded_at: new Date(now),
      run_id: this.runId,
      model_name: e.model,
      model_type: e.modelType,
      connection_id: e.connectionId,
      browser: e.browser,
      requested_backend: e.requestedBackend,
      backend: e.backend,
      batch_size: e.batchSize,
      success: true,
      attempts: e.attempts,
      compute_ms: e.timings.computeMs,
      handle_ms: e.timings.handleMs,
      end_to_end_ms: e.timings.endToEndMs,
      total_ms: e.timings.totalMs,
      first_run: e.timings.firstRun,
      is_real_hardware: hw.isRealHardware,
      is_simulated: !hw.isRealHardware,
      simulation_reason: hw.softwareReason,
      adapter_vendor: hw.adapterVendor,
      adapter_architecture: hw.adapterArchitecture,
      compute_shader_optimized: optimized,
    });
    this.series.add({
      at: now,
      model: e.model,
      modelType: e.modelType,
      browser: e.browser,
      browserVersion: this.connections.get(e.connectionId)?.browserVersion,
      requestedBackend: e.requestedBackend,
      backend: e.backend,
      batchSize: e.batchSize,
      endToEndMs: e.timings.endToEndMs,
      computeMs: e.timings.computeMs,
      firstRun: e.timings.firstRun,
      connectionId: e.connectionId,
      isRealHardware: hw.isRealHardware,
      softwareReason: hw.softwareReason,
      adapterVendor: hw.adapterVendor,
      adapterArchitecture: hw.adapterArchitecture,
      computeShaderOptimized: optimized,
    });
  }

  private onInferenceFailed(e: PoolEvents['inference:failed'][0]): void {
    this.w.perf.push({
      recorded_at: new Date(),
      run_id: this.runId,
      model_name: e.model,
      model_type: e.modelType,
      connection_id: e.connectionId,
      browser: e.browser,
      requested_backend: e.requestedBackend,
      batch_size: e.batchSize,
      success: false,
      error_code: e.code,
      error_message: e.message,
      attempts: e.attempts,
      is_simulated: false,
    });
  }

  // ---- periodic ----

  private snapshot(stats: PoolStats): void {
    let memory = 0;
    let anyMemory = false;
    for (const c of stats.connections) {
      if (c.memoryBytes !== undefined) {
        this.memoryBytes.set(c.id, c.memoryBytes);
        memory += c.memoryBytes;
        anyMemory = true;
      }
    }
    this.w.metrics.push({
      recorded_at: new Date(),
      run_id: this.runId,
      connections: stats.connections.length,
      ready_connections: stats.connections.filter((c) => c.state === 'ready').length,
      spares: stats.spares,
      utilization: stats.utilization,
      queue_depth: stats.queueDepth,
      max_queued: stats.maxQueuedRequests,
      completed: stats.connections.reduce((n, c) => n + c.completed, 0),
      errors: stats.errors,
      memory_bytes: anyMemory ? memory : null,
      per_browser: stats.perBrowser,
      per_model: stats.perModel,
      unavailable_browsers: stats.unavailableBrowsers,
    });
  }

  private drainSeries(): void {
    const git = gitInfo();
    const system = systemInfo();
    const rows = this.series.drain((ids) => {
      const known = [...ids].map((id) => this.memoryBytes.get(id)).filter((m): m is number => m !== undefined);
      return known.length === 0 ? undefined : Math.max(...known) / 2 ** 20;
    });
    for (const row of rows) {
      this.w.series.push({ ...row, run_id: this.runId, git_commit: git.commit, git_branch: git.branch, system_info: system });
    }
  }

  // ---- helpers ----

  /** What ran: real hardware or not, and the adapter, from the connection's probed capabilities. */
  private hardwareOf(
    connectionId: string,
    backend: string,
    gpu = this.connections.get(connectionId)?.capabilities.webgpu,
  ): Omit<HardwareDescriptor, 'browser' | 'browserVersion'> & { softwareReason: string | undefined } {
    if (backend === 'webgpu' && gpu?.available === true) {
      return {
        backend,
        adapterVendor: gpu.adapter.vendor,
        adapterArchitecture: gpu.adapter.architecture,
        isRealHardware: gpu.isRealHardware,
        softwareReason: gpu.isRealHardware ? undefined : (gpu.softwareReason ?? 'software WebGPU adapter'),
        adapterInfo: gpu.adapter,
      };
    }
    // wasm runs on the CPU by design; WebNN on the device it names.
    return { backend, isRealHardware: true, softwareReason: undefined };
  }

  private later(fn: () => Promise<void>): void {
    this.background = this.background.then(fn).catch((error: unknown) => {
      this.errors.push(error as Error);
    });
  }
}
