/**
 * The pool application code talks to: `initialize()`, `getModel(type, name, options)`, `stats()`, `close()`.
 * It keeps connections to browsers, places each request with a routing policy, bounds admitted work, retries
 * connection failures elsewhere, replaces browsers that die, scales with load and emits typed events. Running one
 * job on one connection is `PoolConnection`'s job; deciding where is the policy's.
 */
import { EventEmitter } from 'node:events';

import {
  type Backend,
  BACKENDS,
  BrowserHarness,
  BrowserPoolError,
  ClosedError,
  InvalidInputError,
  InvalidOptionsError,
  NoConnectionError,
  type PageModelSource,
  QueueFullError,
  type SessionOptionsWire,
  type TensorMap,
} from '@browser-pool/browser-harness';
import { assertReadableFile, loadModelBytes, type ModelEntry, type ModelType } from '@browser-pool/models';

import type { BrowserRecommendation, PerformanceReportRequest, PoolDatabase, VisualizationRequest } from './database';
import type { PoolEvents } from './events';
import { type EmitPoolEvent, Fleet } from './fleet';
import { KnownAnswer } from './known-answer';
import { Maintenance } from './maintenance';
import { type HandleRunOptions, type InferenceResult, ModelHandle, type Placement } from './model-handle';
import { listOf, type PoolOptions, type ResolvedPoolOptions, resolvePoolOptions } from './options';
import { isConnectionFault, type LoadedModel, type PoolConnection } from './pool-connection';
import { modelKey, type PoolModel } from './pool-model';
import { routingFor } from './routing/history';
import { AffinityRoutingPolicy, type RoutingDecision, type RoutingPolicy } from './routing/policy';
import { type PoolStats, poolStats } from './stats';

export interface GetModelOptions {
  /** Backends to try in order on each connection; the first that loads wins. @default the pool's `backends` */
  backends?: Backend[];
  /** Session options sent to onnxruntime-web. @default {} */
  sessionOptions?: SessionOptionsWire;
  /** Send model bytes over the socket instead of letting pages fetch them from the page server. @default false */
  inline?: boolean;
  signal?: AbortSignal;
}

type PoolState =
  | { kind: 'created' }
  | { kind: 'starting'; ready: Promise<void> }
  | { kind: 'ready'; harness: BrowserHarness; fleet: Fleet; maintenance: Maintenance }
  | { kind: 'closed' };

interface ModelRecord {
  model: PoolModel;
  handles: number;
}

export class ResourcePool extends EventEmitter<PoolEvents> {
  readonly options: ResolvedPoolOptions;
  private state: PoolState = { kind: 'created' };
  private readonly models = new Map<string, ModelRecord>();
  private readonly policy: RoutingPolicy;
  private readonly knownAnswer: KnownAnswer;
  private admitted = 0;
  private errors = 0;

  constructor(options: PoolOptions = {}) {
    super();
    this.options = resolvePoolOptions(options);
    this.policy = this.options.routing ?? new AffinityRoutingPolicy();
    this.knownAnswer = new KnownAnswer(this.options.catalogue);
  }

  /** Starts the page server and one connection per configured browser. Idempotent. */
  async initialize(): Promise<void> {
    switch (this.state.kind) {
      case 'ready':
        return;
      case 'starting':
        return this.state.ready;
      case 'closed':
        throw new ClosedError('pool is closed; create a new ResourcePool');
      case 'created': {
        const ready = this.start();
        this.state = { kind: 'starting', ready };
        return ready;
      }
    }
  }

  /** Live connections that take work. */
  get connections(): readonly PoolConnection[] {
    return this.fleetOrUndefined()?.all.filter((c) => c.accepting) ?? [];
  }

  /**
   * Resolves `modelName` (a catalogue entry of type `modelType`), loads it on the connection the routing policy
   * picks, and returns a handle whose runs go to the best connection at each call.
   * @throws ModelNotFoundError, InvalidInputError (type mismatch), BackendUnavailableError (no listed backend runs
   *   here; details list each reason), ModelLoadError, NoConnectionError.
   */
  async getModel(modelType: ModelType, modelName: string, options: GetModelOptions = {}): Promise<ModelHandle> {
    const harness = await this.ready();
    const entry = this.options.catalogue.get(modelName);
    if (entry.modelType !== modelType) {
      throw new InvalidInputError(`model "${modelName}" is a ${entry.modelType} model, not ${modelType}`);
    }
    const explicit = options.backends === undefined ? undefined : listOf('backends', options.backends, BACKENDS, this.options.backends);
    const { preference, backends, routing } = routingFor(entry, explicit, this.options);
    const sessionOptions = options.sessionOptions ?? {};
    const key = modelKey(entry.name, backends, sessionOptions, options.inline === true);
    let record = this.models.get(key);
    if (record === undefined) {
      const pageSource = await this.pageSource(harness, entry, options.inline === true);
      record = { model: { key, entry, backends, sessionOptions, pageSource, preference, routing }, handles: 0 };
      this.models.set(key, record);
    }
    const { model } = record;
    const deadline = Date.now() + this.options.loadTimeoutMs;
    const exclude = new Set<string>();
    for (;;) {
      const decision = await this.route(model, exclude, deadline);
      const connection = decision.connection as PoolConnection;
      let loaded: LoadedModel;
      try {
        loaded = await connection.ensureModel(model, options.signal);
      } catch (error) {
        if (isConnectionFault(error) && exclude.size < this.options.maxRetries) {
          exclude.add(connection.id);
          continue;
        }
        this.emit('model:failed', {
          model: entry.name,
          modelType,
          connectionId: connection.id,
          browser: connection.browser,
          requestedBackends: [...model.backends],
          code: error instanceof BrowserPoolError ? error.code : 'E_INTERNAL',
          message: (error as Error).message,
        });
        throw error;
      }
      record.handles++;
      const placement = this.placement(connection, decision, loaded, model);
      this.emit('model:loaded', {
        model: entry.name,
        modelType,
        placement,
        sessionOptions,
        createMs: loaded.session.timings.createMs,
        fetchMs: loaded.session.timings.fetchMs,
      });
      const held = record;
      return new ModelHandle(
        entry.name,
        modelType,
        placement,
        loaded.session.inputs.map((i) => i.name),
        loaded.session.outputNames,
        loaded.session.timings,
        (inputs, runOptions) => this.execute(model, inputs, runOptions),
        () => this.releaseModel(held),
      );
    }
  }

  /** Connections, utilization, queue depth, distribution per browser and model, errors. */
  stats(): PoolStats {
    const fleet = this.fleetOrUndefined();
    return poolStats(fleet?.all ?? [], {
      admitted: this.admitted,
      maxQueuedRequests: this.options.maxQueuedRequests,
      errors: this.errors,
      unavailable: fleet?.unavailable ?? new Map(),
      models: [...this.models.values()].map((r) => r.model),
      spares: fleet?.spareCount ?? 0,
    });
  }

  /**
   * Closes every browser and the page server; queued work fails with E_CLOSED. Then flushes and closes the database
   * when one was given. Safe to call twice.
   */
  async close(): Promise<void> {
    const state = this.state;
    this.state = { kind: 'closed' };
    if (state.kind === 'starting') {
      // start() sees the closed state and shuts what it opened.
      await state.ready.catch(() => undefined);
    } else if (state.kind === 'ready') {
      state.maintenance.stop();
      await state.fleet.close();
      await state.harness.close();
    }
    if (state.kind !== 'closed') {
      await this.options.database?.close();
    }
  }

  // ---- measurement database (present when the pool was given `database`) ----

  /** A performance report from the stored history (Markdown by default). @throws InvalidOptionsError without a database */
  getPerformanceReport(request: PerformanceReportRequest = {}): Promise<string> {
    return this.database().performanceReport(request);
  }

  /** Writes a chart of stored latency/throughput/memory to `outputFile` (.svg or .png) and returns its path. */
  createPerformanceVisualization(request: VisualizationRequest): Promise<string> {
    return this.database().performanceVisualization(request);
  }

  /** Best measured browser + backend per model type and per model, with sample counts, confidence and reason. */
  getBrowserRecommendations(): Promise<BrowserRecommendation[]> {
    return this.database().browserRecommendations();
  }

  // ---- running ----

  private async execute(model: PoolModel, inputs: TensorMap, options: HandleRunOptions): Promise<InferenceResult> {
    const started = performance.now();
    if (this.admitted >= this.options.maxQueuedRequests) {
      this.errors++;
      throw new QueueFullError(
        `pool queue is full (${this.admitted} requests admitted, maxQueuedRequests ${this.options.maxQueuedRequests}); retry later or raise the limit`,
      );
    }
    this.admitted++;
    const batchSize = batchOf(inputs);
    const requestedBackend = model.backends[0] ?? 'wasm';
    let last: PoolConnection | undefined;
    const deadline = Date.now() + (options.timeoutMs ?? this.options.runTimeoutMs);
    const exclude = new Set<string>();
    let attempts = 0;
    try {
      for (;;) {
        attempts++;
        const decision = this.chooseNow(model, exclude) ?? (await this.route(model, exclude, deadline));
        const connection = decision.connection as PoolConnection;
        last = connection;
        try {
          const { result, loaded } = await connection.run(model, inputs, {
            deadline,
            signal: options.signal,
            priority: options.priority,
            outputNames: options.outputNames,
          });
          connection.observe({ ok: true, endToEndMs: result.endToEndMs });
          const out: InferenceResult = {
            outputs: result.outputs,
            backend: loaded.session.backend,
            connectionId: connection.id,
            browser: connection.browser,
            attempts,
            timings: {
              computeMs: result.computeMs,
              handleMs: result.handleMs,
              endToEndMs: result.endToEndMs,
              totalMs: performance.now() - started,
              firstRun: result.firstRun,
            },
          };
          this.emit('inference:completed', {
            model: model.entry.name,
            modelType: model.entry.modelType,
            connectionId: connection.id,
            browser: connection.browser,
            backend: out.backend,
            requestedBackend,
            batchSize,
            sessionOptions: model.sessionOptions,
            attempts,
            timings: out.timings,
          });
          return out;
        } catch (error) {
          connection.observe({ ok: false, error });
          const retryable = isConnectionFault(error) && (error as BrowserPoolError).code !== 'E_TIMEOUT';
          const fleet = this.fleetOrUndefined();
          const elsewhere = (): boolean =>
            (fleet?.all ?? []).some((c) => c.id !== connection.id && !exclude.has(c.id)) ||
            (fleet?.pendingLaunches ?? 0) > 0 ||
            connection.state.kind === 'closed'; // a lost connection is being replaced
          if (retryable && attempts <= this.options.maxRetries && Date.now() < deadline && options.signal?.aborted !== true && elsewhere()) {
            exclude.add(connection.id);
            this.emit('inference:retry', { model: model.entry.name, fromConnectionId: connection.id, code: (error as BrowserPoolError).code, attempt: attempts });
            continue;
          }
          throw error;
        }
      }
    } catch (error) {
      this.errors++;
      const e = error instanceof BrowserPoolError ? error : undefined;
      this.emit('inference:failed', {
        model: model.entry.name,
        modelType: model.entry.modelType,
        connectionId: last?.id,
        browser: last?.browser,
        requestedBackend,
        batchSize,
        code: e?.code ?? 'E_INTERNAL',
        message: (error as Error).message,
        attempts,
      });
      throw error;
    } finally {
      this.admitted--;
    }
  }

  /** Asks the policy now. Synchronous on purpose: the caller enqueues in the same turn, so the next decision sees it. */
  private chooseNow(model: PoolModel, exclude: ReadonlySet<string>): RoutingDecision | undefined {
    if (this.state.kind !== 'ready') {
      throw new ClosedError('pool closed');
    }
    const { fleet } = this.state;
    return this.policy.choose(fleet.all, {
      modelType: model.entry.modelType,
      modelKey: model.key,
      preference: model.preference,
      exclude,
      unavailable: fleet.unavailable,
    });
  }

  /** Routes, and when nothing is eligible but a browser is being (re)launched, waits for it until the deadline. */
  private async route(model: PoolModel, exclude: Set<string>, deadline: number): Promise<RoutingDecision> {
    for (;;) {
      const decision = this.chooseNow(model, exclude);
      if (decision !== undefined) {
        return decision;
      }
      const pendingLaunches = this.fleetOrUndefined()?.pendingLaunches ?? 0;
      const remaining = deadline - Date.now();
      if (pendingLaunches === 0 || remaining <= 0) {
        const why = remaining <= 0 ? 'deadline passed while waiting for a connection' : 'no connection is ready and none is being launched';
        throw new NoConnectionError(`no connection can take "${model.entry.name}": ${why}`, {
          details: { excluded: [...exclude], unavailable: Object.fromEntries(this.fleetOrUndefined()?.unavailable ?? []) },
        });
      }
      await this.waitForConnectionUp(remaining);
    }
  }

  private waitForConnectionUp(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.off('connection:up', done);
        this.off('recovery', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.on('connection:up', done);
      this.on('recovery', done);
    });
  }

  // ---- lifecycle ----

  private async start(): Promise<void> {
    const harness = await BrowserHarness.start({ connectTimeoutMs: this.options.connectTimeoutMs, ...this.options.harness });
    // EventEmitter's generic emit signature does not unify with a generic arrow; the call itself is fully typed.
    const emit: EmitPoolEvent = (name, ...args) => this.emit(name, ...(args as never));
    const fleet = new Fleet(harness, this.options, emit);
    const maintenance = new Maintenance(fleet, this.options, this.knownAnswer, () => this.admitted, emit);
    try {
      this.state = { kind: 'ready', harness, fleet, maintenance };
      await this.options.database?.attach(this);
      await fleet.start(this.options.browsers);
      if (this.state.kind !== 'ready') {
        throw new ClosedError('pool was closed while it started');
      }
      maintenance.start();
    } catch (error) {
      await fleet.close();
      await harness.close();
      if (this.state.kind !== 'closed') {
        this.state = { kind: 'created' };
      }
      throw error;
    }
  }

  // ---- helpers ----

  private database(): PoolDatabase {
    const db = this.options.database;
    if (db === undefined) {
      throw new InvalidOptionsError('this pool has no measurement database; create it with a `database` (e.g. createPool({ dbPath }))');
    }
    return db;
  }

  private fleetOrUndefined(): Fleet | undefined {
    return this.state.kind === 'ready' ? this.state.fleet : undefined;
  }

  private async ready(): Promise<BrowserHarness> {
    await this.initialize();
    if (this.state.kind !== 'ready') {
      throw new ClosedError('pool closed while starting');
    }
    return this.state.harness;
  }

  private async pageSource(harness: BrowserHarness, entry: ModelEntry, inline: boolean): Promise<PageModelSource> {
    const source = await entry.source();
    if (source.kind === 'file' && !inline) {
      await assertReadableFile(source.path);
      return { kind: 'url', url: harness.serveFile(source.path) };
    }
    return { kind: 'bytes', bytes: await loadModelBytes(source) };
  }

  private async releaseModel(record: ModelRecord): Promise<void> {
    record.handles--;
    if (record.handles > 0) {
      return;
    }
    this.models.delete(record.model.key);
    await Promise.all((this.fleetOrUndefined()?.all ?? []).map((c) => c.releaseModel(record.model.key)));
  }

  private placement(connection: PoolConnection, decision: RoutingDecision, loaded: LoadedModel, model: PoolModel): Placement {
    const webgpu = connection.capabilities.webgpu;
    const onGpu = loaded.session.backend === 'webgpu';
    const software = onGpu && webgpu.available && !webgpu.isRealHardware;
    return {
      connectionId: connection.id,
      browser: connection.browser,
      browserVersion: connection.connection.browserVersion,
      preferredBrowser: decision.preferredBrowser,
      browserFallbackReason: decision.fallbackReason,
      requestedBackends: [...model.backends],
      routing: model.routing,
      backend: loaded.session.backend,
      fallbacks: loaded.fallbacks,
      adapter: onGpu ? webgpu : undefined,
      isRealHardware: onGpu ? !software : loaded.session.backend === 'wasm',
      softwareReason: software ? webgpu.softwareReason : undefined,
    };
  }
}

/** Leading dimension of the first input: the batch size of models with a batch axis, 1 otherwise. */
function batchOf(inputs: TensorMap): number {
  const first = Object.values(inputs)[0];
  return first !== undefined && first.dims.length > 1 ? (first.dims[0] ?? 1) : 1;
}
