/**
 * The pool application code talks to: `initialize()`, `getModel(type, name, options)`, `close()`.
 * This first version keeps one connection per configured browser and places each model on the first connection
 * whose browser can load it, trying backends in priority order and recording every fallback with its reason.
 */
import { EventEmitter } from 'node:events';

import {
  type Backend,
  BACKENDS,
  BackendUnavailableError,
  BrowserHarness,
  ClosedError,
  type Connection,
  InvalidInputError,
  type PageModelSource,
  type SessionInfo,
  type SessionOptionsWire,
} from '@browser-pool/browser-harness';
import { assertReadableFile, loadModelBytes, type ModelEntry, type ModelType } from '@browser-pool/models';

import type { PoolEvents } from './events';
import { type BackendFallback, ModelHandle, type Placement } from './model-handle';
import { listOf, type PoolOptions, type ResolvedPoolOptions, resolvePoolOptions } from './options';

export interface GetModelOptions {
  /** Backends to try in order; the first that loads wins. @default the pool's `backends` */
  backends?: Backend[];
  /** Session options sent to onnxruntime-web. @default {} */
  sessionOptions?: SessionOptionsWire;
  /** Send model bytes over the socket instead of letting the page fetch them from the page server. @default false */
  inline?: boolean;
  signal?: AbortSignal;
}

type PoolState =
  | { kind: 'created' }
  | { kind: 'starting'; ready: Promise<void> }
  | { kind: 'ready'; harness: BrowserHarness; connections: Connection[] }
  | { kind: 'closed' };

export class ResourcePool extends EventEmitter<PoolEvents> {
  readonly options: ResolvedPoolOptions;
  private state: PoolState = { kind: 'created' };

  constructor(options: PoolOptions = {}) {
    super();
    this.options = resolvePoolOptions(options);
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

  private async start(): Promise<void> {
    const harness = await BrowserHarness.start(this.options.harness);
    try {
      const connections = await Promise.all(this.options.browsers.map((b) => harness.launch(b)));
      for (const c of connections) {
        this.emit('connection:up', {
          connectionId: c.id,
          browser: c.browser,
          browserVersion: c.browserVersion,
          capabilities: c.capabilities,
        });
        c.onClose((cause) => this.emit('connection:down', { connectionId: c.id, code: cause.code, reason: cause.message }));
      }
      if (this.state.kind === 'closed') {
        throw new ClosedError('pool was closed while it started');
      }
      this.state = { kind: 'ready', harness, connections };
    } catch (error) {
      await harness.close();
      if (this.state.kind !== 'closed') {
        this.state = { kind: 'created' };
      }
      throw error;
    }
  }

  /** Live connections (closed ones are dropped). */
  get connections(): readonly Connection[] {
    return this.state.kind === 'ready' ? this.state.connections.filter((c) => c.state.kind === 'ready') : [];
  }

  /**
   * Loads `modelName` (a catalogue entry of type `modelType`) and returns a handle to run it.
   * @throws ModelNotFoundError (unknown name), InvalidInputError (type mismatch), BackendUnavailableError (no backend
   *   in the list can run here; details list each reason), ModelLoadError (bytes unreadable or refused).
   */
  async getModel(modelType: ModelType, modelName: string, options: GetModelOptions = {}): Promise<ModelHandle> {
    const ready = await this.ready();
    const entry = this.options.catalogue.get(modelName);
    if (entry.modelType !== modelType) {
      throw new InvalidInputError(`model "${modelName}" is a ${entry.modelType} model, not ${modelType}`);
    }
    const backends = listOf('backends', options.backends, BACKENDS, this.options.backends);
    const source = await this.pageSource(ready.harness, entry, options.inline === true);
    const fallbacks: BackendFallback[] = [];
    for (const connection of this.connections) {
      for (const backend of backends) {
        let session: SessionInfo;
        try {
          session = await connection.load(entry.name, source, backend, options.sessionOptions ?? {}, {
            timeoutMs: this.options.loadTimeoutMs,
            signal: options.signal,
          });
        } catch (error) {
          if (error instanceof BackendUnavailableError) {
            fallbacks.push({ backend, code: error.code, reason: error.message });
            continue;
          }
          throw error;
        }
        return this.handle(entry, connection, session, backends, fallbacks);
      }
    }
    throw new BackendUnavailableError(
      `model "${modelName}" could not run on any of [${backends.join(', ')}]: ` +
        fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; '),
      { details: { fallbacks } },
    );
  }

  /** Closes every browser and the page server. Safe to call twice. */
  async close(): Promise<void> {
    const state = this.state;
    this.state = { kind: 'closed' };
    if (state.kind === 'starting') {
      // start() sees the closed state and shuts what it opened.
      await state.ready.catch(() => undefined);
    } else if (state.kind === 'ready') {
      await state.harness.close();
    }
  }

  private async ready(): Promise<Extract<PoolState, { kind: 'ready' }>> {
    await this.initialize();
    if (this.state.kind !== 'ready') {
      throw new ClosedError('pool closed while starting');
    }
    return this.state;
  }

  private async pageSource(harness: BrowserHarness, entry: ModelEntry, inline: boolean): Promise<PageModelSource> {
    const source = await entry.source();
    if (source.kind === 'file' && !inline) {
      await assertReadableFile(source.path);
      return { kind: 'url', url: harness.serveFile(source.path) };
    }
    return { kind: 'bytes', bytes: await loadModelBytes(source) };
  }

  private handle(
    entry: ModelEntry,
    connection: Connection,
    session: SessionInfo,
    requestedBackends: Backend[],
    fallbacks: BackendFallback[],
  ): ModelHandle {
    const webgpu = connection.capabilities.webgpu;
    const onGpu = session.backend === 'webgpu';
    const software = onGpu && webgpu.available && !webgpu.isRealHardware;
    const placement: Placement = {
      connectionId: connection.id,
      browser: connection.browser,
      browserVersion: connection.browserVersion,
      requestedBackends,
      backend: session.backend,
      fallbacks,
      adapter: onGpu ? webgpu : undefined,
      isRealHardware: onGpu ? !software : session.backend === 'wasm',
      softwareReason: software ? webgpu.softwareReason : undefined,
    };
    this.emit('model:loaded', {
      model: entry.name,
      modelType: entry.modelType,
      placement,
      createMs: session.timings.createMs,
      fetchMs: session.timings.fetchMs,
    });
    return new ModelHandle(entry.name, entry.modelType, placement, session, connection, this.options.runTimeoutMs, (r) =>
      this.emit('inference:completed', {
        model: entry.name,
        modelType: entry.modelType,
        connectionId: connection.id,
        backend: r.backend,
        timings: r.timings,
      }),
    );
  }
}
