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
  type BrowserKind,
  BrowserPoolError,
  BrowserUnavailableError,
  ClosedError,
  InvalidInputError,
  NoConnectionError,
  type PageModelSource,
  QueueFullError,
  type SessionOptionsWire,
  type TensorMap,
} from '@browser-pool/browser-harness';
import { assertReadableFile, loadModelBytes, type ModelEntry, type ModelType } from '@browser-pool/models';

import { OpossumBreaker } from './breaker';
import type { PoolEvents } from './events';
import { KnownAnswer } from './known-answer';
import { type HandleRunOptions, type InferenceResult, ModelHandle, type Placement } from './model-handle';
import { listOf, type PoolOptions, type ResolvedPoolOptions, resolvePoolOptions } from './options';
import { isConnectionFault, type LoadedModel, PoolConnection } from './pool-connection';
import { modelKey, type PoolModel } from './pool-model';
import { AffinityRoutingPolicy, type RoutingDecision, type RoutingPolicy } from './routing/policy';
import { planScaling } from './scaling';
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
  | { kind: 'ready'; harness: BrowserHarness }
  | { kind: 'closed' };

interface ModelRecord {
  model: PoolModel;
  handles: number;
}

export class ResourcePool extends EventEmitter<PoolEvents> {
  readonly options: ResolvedPoolOptions;
  private state: PoolState = { kind: 'created' };
  private readonly connectionsById = new Map<string, PoolConnection>();
  /** Ready connections held back from routing, promoted when a connection of their browser is lost. */
  private readonly spares: PoolConnection[] = [];
  /** Browsers that could not be launched, with why (routing falls back past them). */
  private readonly unavailable = new Map<BrowserKind, string>();
  private readonly launching = new Map<BrowserKind, number>();
  private readonly drops = new Map<BrowserKind, number>();
  private readonly models = new Map<string, ModelRecord>();
  private readonly policy: RoutingPolicy;
  private readonly knownAnswer: KnownAnswer;
  private admitted = 0;
  private errors = 0;
  private lastScalingAt = 0;
  private healthRunning = false;
  private timers: NodeJS.Timeout[] = [];

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
    return [...this.connectionsById.values()].filter((c) => c.accepting);
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
    const backends = listOf('backends', options.backends, BACKENDS, this.options.backends);
    const sessionOptions = options.sessionOptions ?? {};
    const key = modelKey(entry.name, backends, sessionOptions, options.inline === true);
    let record = this.models.get(key);
    if (record === undefined) {
      const pageSource = await this.pageSource(harness, entry, options.inline === true);
      record = { model: { key, entry, backends, sessionOptions, pageSource }, handles: 0 };
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
        throw error;
      }
      record.handles++;
      const placement = this.placement(connection, decision, loaded, backends);
      this.emit('model:loaded', {
        model: entry.name,
        modelType,
        placement,
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
    return poolStats([...this.connectionsById.values()], {
      admitted: this.admitted,
      maxQueuedRequests: this.options.maxQueuedRequests,
      errors: this.errors,
      unavailable: this.unavailable,
      models: [...this.models.values()].map((r) => r.model),
      spares: this.spares.length,
    });
  }

  /** Closes every browser and the page server; queued work fails with E_CLOSED. Safe to call twice. */
  async close(): Promise<void> {
    const state = this.state;
    this.state = { kind: 'closed' };
    this.timers.forEach((t) => clearInterval(t));
    this.timers = [];
    if (state.kind === 'starting') {
      await state.ready.catch(() => undefined);
    }
    const harness = state.kind === 'ready' ? state.harness : undefined;
    const all = [...this.connectionsById.values(), ...this.spares.splice(0)];
    await Promise.all(all.map((c) => c.close().catch(() => undefined)));
    this.connectionsById.clear();
    await harness?.close();
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
    const deadline = Date.now() + (options.timeoutMs ?? this.options.runTimeoutMs);
    const exclude = new Set<string>();
    let attempts = 0;
    try {
      for (;;) {
        attempts++;
        const decision = this.chooseNow(model, exclude) ?? (await this.route(model, exclude, deadline));
        const connection = decision.connection as PoolConnection;
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
            attempts,
            timings: out.timings,
          });
          return out;
        } catch (error) {
          connection.observe({ ok: false, error });
          const retryable = isConnectionFault(error) && (error as BrowserPoolError).code !== 'E_TIMEOUT';
          const elsewhere = (): boolean =>
            [...this.connectionsById.values()].some((c) => c.id !== connection.id && !exclude.has(c.id)) ||
            [...this.launching.values()].some((n) => n > 0) ||
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
    if (this.state.kind === 'closed') {
      throw new ClosedError('pool closed');
    }
    return this.policy.choose([...this.connectionsById.values()], {
      modelType: model.entry.modelType,
      modelKey: model.key,
      preference: this.options.browserPreference[model.entry.modelType],
      exclude,
      unavailable: this.unavailable,
    });
  }

  /** Routes, and when nothing is eligible but a browser is being (re)launched, waits for it until the deadline. */
  private async route(model: PoolModel, exclude: Set<string>, deadline: number): Promise<RoutingDecision> {
    for (;;) {
      const decision = this.chooseNow(model, exclude);
      if (decision !== undefined) {
        return decision;
      }
      const pendingLaunches = [...this.launching.values()].reduce((a, b) => a + b, 0);
      const remaining = deadline - Date.now();
      if (pendingLaunches === 0 || remaining <= 0) {
        const why = remaining <= 0 ? 'deadline passed while waiting for a connection' : 'no connection is ready and none is being launched';
        throw new NoConnectionError(`no connection can take "${model.entry.name}": ${why}`, {
          details: { excluded: [...exclude], unavailable: Object.fromEntries(this.unavailable) },
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

  // ---- connections: launch, loss, recovery ----

  private async start(): Promise<void> {
    const harness = await BrowserHarness.start({ connectTimeoutMs: this.options.connectTimeoutMs, ...this.options.harness });
    try {
      this.state = { kind: 'ready', harness };
      await Promise.all(this.options.browsers.map((b) => this.launch(b, 'initial')));
      const kinds = [...new Set(this.options.browsers)].filter((b) => !this.unavailable.has(b));
      await Promise.all(kinds.flatMap((b) => Array.from({ length: this.options.scaling.spareConnections }, () => this.launch(b, 'spare', true))));
      if (this.connectionsById.size === 0) {
        throw new BrowserUnavailableError(
          `no browser could be started: ${[...this.unavailable].map(([b, why]) => `${b}: ${why}`).join('; ')}`,
        );
      }
      this.startTimers();
    } catch (error) {
      await this.close();
      this.state = { kind: 'created' };
      throw error;
    }
  }

  private async launch(browser: BrowserKind, reason: string, asSpare = false): Promise<PoolConnection | undefined> {
    if (this.state.kind !== 'ready') {
      return undefined;
    }
    const harness = this.state.harness;
    this.launching.set(browser, (this.launching.get(browser) ?? 0) + 1);
    const start = performance.now();
    try {
      const connection = await harness.launch(browser);
      if (this.state.kind !== 'ready') {
        await connection.close();
        return undefined;
      }
      this.unavailable.delete(browser);
      const o = this.options;
      const breaker = new OpossumBreaker(`connection ${connection.id}`, {
        errorThresholdPercentage: o.breaker.errorThresholdPercentage,
        volumeThreshold: o.breaker.volumeThreshold,
        resetTimeoutMs: o.breaker.resetTimeoutMs,
        rollingWindowMs: o.breaker.rollingWindowMs,
      });
      const pc = new PoolConnection(
        connection,
        breaker,
        o.connectionConcurrency,
        o.loadTimeoutMs,
        this.drops.get(browser) ?? 0,
        o.scaling.recycleAboveMemoryMB * 1024 * 1024,
      );
      pc.onBreakerChange((state) => this.emit('breaker:state', { connectionId: pc.id, browser, state }));
      connection.onClose((cause) => this.onConnectionClosed(pc, cause));
      if (asSpare) {
        this.spares.push(pc);
        return pc;
      }
      this.connectionsById.set(pc.id, pc);
      this.emit('connection:up', {
        connectionId: pc.id,
        browser,
        browserVersion: connection.browserVersion,
        capabilities: connection.capabilities,
        launchMs: performance.now() - start,
        reason,
      });
      return pc;
    } catch (error) {
      const e = error instanceof BrowserPoolError ? error : new BrowserUnavailableError((error as Error).message);
      this.unavailable.set(browser, e.message);
      this.emit('browser:unavailable', { browser, code: e.code, reason: e.message });
      return undefined;
    } finally {
      this.launching.set(browser, (this.launching.get(browser) ?? 1) - 1);
    }
  }

  private onConnectionClosed(pc: PoolConnection, cause: BrowserPoolError): void {
    const expected = pc.planned || this.state.kind !== 'ready';
    const spareAt = this.spares.indexOf(pc);
    if (spareAt >= 0) {
      // A spare died unused: replace it quietly.
      this.spares.splice(spareAt, 1);
      void pc.close().catch(() => undefined);
      if (!expected) {
        void this.launch(pc.browser, 'spare', true);
      }
      return;
    }
    this.connectionsById.delete(pc.id);
    // The socket is gone but the browser may live on (a hung page): close it so it frees its CPU and memory.
    void pc.close().catch(() => undefined);
    this.emit('connection:down', { connectionId: pc.id, browser: pc.browser, code: cause.code, reason: cause.message, expected });
    if (expected) {
      return;
    }
    // Unplanned loss: relaunch the same browser now; requests that were on it retry elsewhere or wait for this.
    this.drops.set(pc.browser, (this.drops.get(pc.browser) ?? 0) + 1);
    const start = performance.now();
    const spare = this.spares.find((s) => s.browser === pc.browser && s.accepting);
    if (spare !== undefined) {
      this.spares.splice(this.spares.indexOf(spare), 1);
      this.connectionsById.set(spare.id, spare);
      this.emit('connection:up', {
        connectionId: spare.id,
        browser: spare.browser,
        browserVersion: spare.connection.browserVersion,
        capabilities: spare.capabilities,
        launchMs: 0,
        reason: `spare promoted to replace ${pc.id}`,
      });
      this.emit('recovery', { browser: pc.browser, lostConnectionId: pc.id, replacementId: spare.id, recoveryMs: performance.now() - start, ok: true, reason: cause.message });
      void this.launch(pc.browser, 'spare', true);
      return;
    }
    void this.launch(pc.browser, `replacing ${pc.id}`).then((replacement) => {
      this.emit('recovery', {
        browser: pc.browser,
        lostConnectionId: pc.id,
        replacementId: replacement?.id,
        recoveryMs: performance.now() - start,
        ok: replacement !== undefined,
        reason: cause.message,
      });
    });
  }

  // ---- scaling, recycling, health ----

  private startTimers(): void {
    const scaling = setInterval(() => this.scaleTick(), this.options.scaling.intervalMs);
    scaling.unref();
    this.timers.push(scaling);
    if (this.options.health.knownAnswerIntervalMs > 0) {
      const health = setInterval(() => void this.healthTick(), this.options.health.knownAnswerIntervalMs);
      health.unref();
      this.timers.push(health);
    }
  }

  private scaleTick(): void {
    if (this.state.kind !== 'ready') {
      return;
    }
    const conns = [...this.connectionsById.values()];
    const plan = planScaling({
      now: Date.now(),
      lastDecisionAt: this.lastScalingAt,
      options: this.options.scaling,
      admitted: this.admitted,
      launching: [...this.launching.values()].reduce((a, b) => a + b, 0),
      connections: conns.map((c) => ({
        id: c.id,
        browser: c.browser,
        ready: c.accepting,
        outstanding: c.outstanding,
        lastActivityAt: c.stats.lastActivityAt,
        inferences: c.stats.completed,
        memoryBytes: c.stats.memoryBytes,
      })),
    });
    if (plan === undefined) {
      return;
    }
    this.lastScalingAt = Date.now();
    this.emit('scaling', { ...plan, connections: conns.length });
    if (plan.action === 'up') {
      void this.launch(plan.browser, plan.reason);
      return;
    }
    const target = plan.connectionId === undefined ? undefined : this.connectionsById.get(plan.connectionId);
    if (target === undefined) {
      return;
    }
    if (plan.action === 'recycle') {
      // Replacement first, so capacity never dips; then drain: nothing in flight is dropped.
      void this.launch(target.browser, plan.reason).then(() => target.drain(plan.reason));
    } else {
      void target.drain(plan.reason);
    }
  }

  private async healthTick(): Promise<void> {
    if (this.healthRunning) {
      return; // a stalled page can make one round outlast the interval
    }
    this.healthRunning = true;
    try {
      await this.healthRound();
    } finally {
      this.healthRunning = false;
    }
  }

  private async healthRound(): Promise<void> {
    for (const pc of this.connections) {
      pc.stats.memoryBytes = await pc.connection.memory({ timeoutMs: 5000 }).catch(() => pc.stats.memoryBytes);
      const outcome = await this.knownAnswer.check(pc).catch((error: unknown) => ({ ok: false, pingMs: undefined, detail: (error as Error).message }));
      this.emit('health:check', { connectionId: pc.id, ok: outcome.ok, pingMs: outcome.pingMs, healthScore: pc.healthScore, detail: outcome.detail });
    }
  }

  // ---- helpers ----

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
    await Promise.all([...this.connectionsById.values()].map((c) => c.releaseModel(record.model.key)));
  }

  private placement(connection: PoolConnection, decision: RoutingDecision, loaded: LoadedModel, requestedBackends: Backend[]): Placement {
    const webgpu = connection.capabilities.webgpu;
    const onGpu = loaded.session.backend === 'webgpu';
    const software = onGpu && webgpu.available && !webgpu.isRealHardware;
    return {
      connectionId: connection.id,
      browser: connection.browser,
      browserVersion: connection.connection.browserVersion,
      preferredBrowser: decision.preferredBrowser,
      browserFallbackReason: decision.fallbackReason,
      requestedBackends,
      backend: loaded.session.backend,
      fallbacks: loaded.fallbacks,
      adapter: onGpu ? webgpu : undefined,
      isRealHardware: onGpu ? !software : loaded.session.backend === 'wasm',
      softwareReason: software ? webgpu.softwareReason : undefined,
    };
  }
}
