/**
 * The pool application code talks to: `initialize()`, `getModel(type, name, options)`, `stats()`, `close()`.
 * It keeps connections to browsers, places each request with a routing policy, bounds admitted work, retries
 * connection failures elsewhere, replaces browsers that die, scales with load and emits typed events. Running one
 * job on one connection is `PoolConnection`'s job; deciding where is the policy's.
 */
import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';

import {
  type Backend,
  BACKENDS,
  BrowserHarness,
  BrowserPoolError,
  ClosedError,
  InvalidInputError,
  InvalidOptionsError,
  ModelLoadError,
  type PageModelSource,
  type SessionOptionsWire,
} from '@browser-pool/browser-harness';
import { assertReadableFile, loadModelBytes, type ModelEntry, type ModelType } from '@browser-pool/models';

import type { BrowserRecommendation, PerformanceReportRequest, PoolDatabase, VisualizationRequest } from './database';
import { Dispatcher } from './dispatcher';
import type { PoolEvents } from './events';
import { Evictor } from './eviction';
import { type EmitPoolEvent, Fleet, type HostInfo } from './fleet';
import { checkGetModelOptions } from './get-model-options';
import { HostSync } from './host-sync';
import { type HostSpec, resolveHost } from './hosts';
import { knownWrongHitsOf } from './kernel-guard';
import { KnownAnswer } from './known-answer';
import { Maintenance } from './maintenance';
import { ModelHandle } from './model-handle';
import { type ModelSpec, registerUserModel } from './model-spec';
import { listOf, type PoolOptions, type ResolvedPoolOptions, resolvePoolOptions } from './options';
import { placementOf } from './placement';
import { isConnectionFault, type LoadedModel, type PoolConnection } from './pool-connection';
import { modelKey, type PoolModel } from './pool-model';
import { routingFor } from './routing/history';
import { AffinityRoutingPolicy, type RoutingPolicy } from './routing/policy';
import { type PoolStats, poolStats } from './stats';
import { WorkerWatch } from './worker-watch';

export interface GetModelOptions {
  /** Backends to try in order on each connection; the first that loads wins. @default the pool's `backends` */
  backends?: Backend[];
  /** Session options sent to onnxruntime-web. @default {} */
  sessionOptions?: SessionOptionsWire;
  /** Send model bytes over the socket instead of letting pages fetch them from the page server. @default false */
  inline?: boolean;
  /**
   * Load even on a backend where the model hits a known-wrong kernel (KNOWN_WRONG_KERNELS in @browser-pool/models);
   * for tests that re-measure a case. @default false: such backends are skipped (E_KNOWN_WRONG_KERNEL if none is left)
   */
  allowKnownWrongKernels?: boolean;
  signal?: AbortSignal;
}

type PoolState =
  | { kind: 'created' }
  | { kind: 'starting'; ready: Promise<void> }
  | { kind: 'ready'; harness: BrowserHarness; fleet: Fleet; maintenance: Maintenance; sync: HostSync | undefined }
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
  private readonly dispatcher: Dispatcher;
  private readonly workerWatch: WorkerWatch;
  private readonly evictor: Evictor;
  // EventEmitter's generic emit signature does not unify with a generic arrow; the call itself is fully typed.
  private readonly emitTyped: EmitPoolEvent = (name, ...args) => this.emit(name, ...(args as never));

  constructor(options: PoolOptions = {}) {
    super();
    this.options = resolvePoolOptions(options);
    this.policy = this.options.routing ?? new AffinityRoutingPolicy();
    this.knownAnswer = new KnownAnswer(this.options.catalogue);
    this.workerWatch = new WorkerWatch(this.emitTyped);
    this.on('connection:down', (e) => this.workerWatch.forget(e.connectionId));
    this.evictor = new Evictor(this.options.modelBudgetMB * 1024 * 1024, () => this.fleetOrUndefined()?.all ?? [], this.emitTyped);
    this.dispatcher = new Dispatcher({
      evictor: this.evictor,
      options: this.options,
      policy: this.policy,
      fleet: () => this.fleetOrUndefined(),
      emit: this.emitTyped,
      onWorkerLost: (pc) => this.workerWatch.lost(pc),
    });
    // New capacity: requests waiting for a slot ask again now, not at the next settled call.
    this.on('connection:up', () => this.dispatcher.wake());
    this.on('connection:quarantine', () => this.dispatcher.wake());
    this.on('breaker:state', () => this.dispatcher.wake());
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
   * picks, and returns a handle whose runs go to the best connection at each call. Or, with a {@link ModelSpec},
   * loads your own model from a file, URL or bytes: `pool.getModel({ path: './model.onnx' })`.
   * @throws ModelNotFoundError, InvalidInputError (type mismatch), BackendUnavailableError (no listed backend runs
   *   here; details list each reason), ModelLoadError, NoConnectionError.
   */
  getModel(spec: ModelSpec, options?: GetModelOptions): Promise<ModelHandle>;
  getModel(modelType: ModelType, modelName: string, options?: GetModelOptions): Promise<ModelHandle>;
  async getModel(first: ModelType | ModelSpec, second?: string | GetModelOptions, third: GetModelOptions = {}): Promise<ModelHandle> {
    if (typeof first === 'object' && first !== null) {
      const entry = await registerUserModel(this.options.catalogue, first);
      return this.loadModel(entry.modelType, entry.name, typeof second === 'object' ? second : {});
    }
    if (typeof second !== 'string') {
      throw new InvalidInputError(
        `getModel takes (modelType, modelName, options?) or ({ path | url | bytes, name?, modelType? }, options?); got (${JSON.stringify(first)}, ${JSON.stringify(second)})`,
      );
    }
    return this.loadModel(first, second, third);
  }

  private async loadModel(modelType: ModelType, modelName: string, options: GetModelOptions): Promise<ModelHandle> {
    checkGetModelOptions(modelName, options);
    const harness = await this.ready();
    const entry = this.options.catalogue.get(modelName);
    if (entry.modelType !== modelType) {
      throw new InvalidInputError(`model "${modelName}" is a ${entry.modelType} model, not ${modelType}`);
    }
    const explicit = options.backends === undefined ? undefined : listOf('backends', options.backends, BACKENDS, this.options.backends);
    const { preference, backends, routing } = routingFor(entry, explicit, this.options);
    const sessionOptions = options.sessionOptions ?? {};
    const allowWrong = options.allowKnownWrongKernels === true;
    const key = modelKey(entry.name, backends, sessionOptions, options.inline === true) + (allowWrong ? '|known-wrong-allowed' : '');
    let record = this.models.get(key);
    if (record === undefined) {
      const { pageSource, bytes } = await this.pageSource(harness, entry, options.inline === true);
      const knownWrong = allowWrong ? [] : await knownWrongHitsOf(entry);
      record = { model: { key, entry, backends, sessionOptions, pageSource, bytes, preference, routing, knownWrong }, handles: 0 };
      this.models.set(key, record);
    }
    const { model } = record;
    const deadline = Date.now() + this.options.loadTimeoutMs;
    const exclude = new Set<string>();
    for (;;) {
      const decision = await this.dispatcher.route(model, exclude, deadline);
      const connection = decision.connection as PoolConnection;
      let loaded: LoadedModel;
      try {
        const loading = connection.ensureModel(model, options.signal);
        this.evictor.check(connection);
        loaded = await loading;
      } catch (error) {
        if (isConnectionFault(error) && exclude.size < this.options.maxRetries) {
          exclude.add(connection.id);
          continue;
        }
        const failed = entry.origin === 'user' && error instanceof ModelLoadError ? new ModelLoadError(`${error.message} (${entry.description})`, { cause: error, details: { ...error.details } }) : error;
        this.emit('model:failed', {
          model: entry.name,
          modelType,
          connectionId: connection.id,
          browser: connection.browser,
          requestedBackends: [...model.backends],
          code: failed instanceof BrowserPoolError ? failed.code : 'E_INTERNAL',
          message: (failed as Error).message,
        });
        throw failed;
      }
      record.handles++;
      const placement = placementOf(connection, decision, loaded, model);
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
        (inputs, runOptions) => this.dispatcher.execute(model, inputs, runOptions, loaded.session.inputs.map((i) => i.name), loaded.session.outputNames),
        () => this.releaseModel(held),
      );
    }
  }

  /**
   * Adds a remote browser host (or any driver) at runtime: its first connection opens now; if it cannot, the host
   * is retried with backoff until it answers or is drained. Resolves after that first attempt.
   * @throws InvalidOptionsError for a malformed spec
   */
  async addHost(spec: HostSpec): Promise<void> {
    const source = resolveHost(spec, 'addHost');
    await this.ready();
    await this.fleetOrUndefined()?.addHost(source);
  }

  /**
   * Takes a host out of the pool: no new requests go to it, reconnects stop, requests in flight there finish, then
   * its connections close. Resolves when they have. Local browsers are hosts too (`local-chromium`, ...).
   */
  async drainHost(id: string, reason = 'drained by the application'): Promise<void> {
    await this.fleetOrUndefined()?.drainHost(id, reason);
  }

  /** Every host with its connections, state, owed reconnects and last error. */
  hosts(): HostInfo[] {
    return this.fleetOrUndefined()?.hostList() ?? [];
  }

  /** Connections, utilization, queue depth, distribution per browser and model, errors. */
  stats(): PoolStats {
    const fleet = this.fleetOrUndefined();
    return poolStats(fleet?.all ?? [], {
      admitted: this.dispatcher.admitted,
      maxQueuedRequests: this.options.maxQueuedRequests,
      errors: this.dispatcher.errors,
      unavailable: fleet?.unavailable ?? new Map(),
      models: [...this.models.values()].map((r) => r.model),
      spares: fleet?.spareCount ?? 0,
      bridge: this.state.kind === 'ready' ? this.state.harness.bridgeAddress : undefined,
      evictions: this.evictor.evictions,
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
      state.sync?.stop();
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

  // ---- lifecycle ----

  private async start(): Promise<void> {
    const harness = await BrowserHarness.start({ connectTimeoutMs: this.options.connectTimeoutMs, ...this.options.harness });
    const emit = this.emitTyped;
    const fleet = new Fleet(harness, this.options, emit);
    const maintenance = new Maintenance(fleet, this.options, this.knownAnswer, () => this.dispatcher.admitted, emit, this.workerWatch);
    const discovery = this.options.discovery;
    const sync = discovery === undefined ? undefined : new HostSync(discovery, fleet, emit);
    try {
      this.state = { kind: 'ready', harness, fleet, maintenance, sync };
      await this.options.database?.attach(this);
      // Discovered hosts count too: the start fails only when nothing at all could be connected.
      const [started] = await Promise.allSettled([fleet.start(this.options.browsers, this.options.hosts), sync?.start()]);
      if (started.status === 'rejected' && fleet.all.length === 0) {
        throw started.reason;
      }
      if (this.state.kind !== 'ready') {
        throw new ClosedError('pool was closed while it started');
      }
      maintenance.start();
    } catch (error) {
      sync?.stop();
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

  private async pageSource(harness: BrowserHarness, entry: ModelEntry, inline: boolean): Promise<{ pageSource: PageModelSource; bytes: number }> {
    const source = await entry.source();
    if (source.kind === 'file' && !inline) {
      await assertReadableFile(source.path);
      return { pageSource: { kind: 'url', url: harness.serveFile(source.path) }, bytes: (await stat(source.path)).size };
    }
    const bytes = await loadModelBytes(source);
    return { pageSource: { kind: 'bytes', bytes }, bytes: bytes.byteLength };
  }

  private async releaseModel(record: ModelRecord): Promise<void> {
    record.handles--;
    if (record.handles > 0) {
      return;
    }
    this.models.delete(record.model.key);
    await Promise.all((this.fleetOrUndefined()?.all ?? []).map((c) => c.releaseModel(record.model.key)));
  }
}
