/** Pool options: documented defaults applied in one place, validation that names field, value and expectation. */
import {
  type Backend,
  BACKENDS,
  BROWSER_KINDS,
  type BrowserDriver,
  type BrowserKind,
  type HarnessOptions,
  InvalidOptionsError,
} from '@browser-pool/browser-harness';
import { MODEL_TYPES, ModelCatalogue, type ModelType } from '@browser-pool/models';

import type { PoolDatabase } from './database';
import type { HostDiscovery } from './discovery';
import { assertDriver, type HostSource, type HostSpec, type ReconnectOptions, resolveHost } from './hosts';
import type { RoutingPolicy } from './routing/policy';

/**
 * Browser preference per model type, best first (audio→Firefox, vision→Chrome, text→Edge; a `custom` model goes to
 * Chromium first, the browser every install has).
 */
export const DEFAULT_BROWSER_PREFERENCE: Record<ModelType, BrowserKind[]> = {
  audio: ['firefox', 'chromium', 'edge'],
  vision: ['chromium', 'edge', 'firefox'],
  text_embedding: ['edge', 'chromium', 'firefox'],
  custom: ['chromium', 'firefox', 'edge'],
};

export interface BreakerOptions {
  /** Failure percentage over the rolling window that opens the breaker. @default 50 */
  errorThresholdPercentage?: number;
  /** Calls in the window before the percentage is judged. @default 5 */
  volumeThreshold?: number;
  /** Time open before a half-open probe is allowed. @default 5000 */
  resetTimeoutMs?: number;
  /** Rolling window length. @default 10_000 */
  rollingWindowMs?: number;
}

export interface ScalingOptions {
  /** Fewest connections kept open. @default number of `browsers` */
  minConnections?: number;
  /** Most connections ever open. @default max(minConnections, 4) */
  maxConnections?: number;
  /** Queued + running requests per ready connection above which one more connection is launched. @default 8 */
  scaleUpQueueDepth?: number;
  /** A connection idle this long is closed while more than `minConnections` are open. @default 60_000 */
  idleTimeoutMs?: number;
  /** Minimum time between two scaling decisions. @default 5000 */
  cooldownMs?: number;
  /** Recycle (drain, close, replace) a connection after this many inferences; 0 disables. @default 0 */
  recycleAfterInferences?: number;
  /**
   * Recycle a connection whose page JS heap exceeds this many MiB (sampled by the health round; browsers that do not
   * expose memory, such as Firefox, are never recycled for it); 0 disables. @default 0
   */
  recycleAboveMemoryMB?: number;
  /** How often scaling and recycling are evaluated. @default 1000 */
  intervalMs?: number;
  /**
   * Ready connections kept aside per browser kind, taking no traffic: a lost connection is replaced by promoting one
   * at once instead of waiting for a browser launch (costs ~300 MiB of memory each, no CPU when idle). @default 0
   */
  spareConnections?: number;
}

export interface HealthOptions {
  /** Period of the known-answer inference on each connection; 0 disables it. @default 15_000 */
  knownAnswerIntervalMs?: number;
}

export interface PoolOptions {
  /**
   * Local browsers to open, one connection each at start. @default ['chromium'], or [] (no local browser) when
   * `hosts` or `discovery` is given
   */
  browsers?: BrowserKind[];
  /**
   * Remote browser hosts, each its own capacity source (connections, breakers, reconnect backoff): Playwright
   * browser servers (Chromium) and WebDriver BiDi endpoints (Firefox). More can join with `pool.addHost()`.
   * @default []
   */
  hosts?: HostSpec[];
  /** Hosts joined and drained at runtime from a file or DNS (`fileHosts`, `dnsHosts`). @default none */
  discovery?: HostDiscovery;
  /** Backoff between launch/reconnect attempts after a loss; attempts go on while the host is configured. */
  reconnect?: ReconnectOptions;
  /** Browser preference per model type, best first. @default {@link DEFAULT_BROWSER_PREFERENCE} */
  browserPreference?: Partial<Record<ModelType, BrowserKind[]>>;
  /** Models `getModel` can name. @default ModelCatalogue.default() */
  catalogue?: ModelCatalogue;
  /** Backends tried in order when `getModel` names none. @default ['webgpu', 'wasm'] */
  backends?: Backend[];
  /** Deadline of one inference call, end to end, retries included. @default 30_000 */
  runTimeoutMs?: number;
  /** Deadline of one model load (download, compile, session create). @default 120_000 */
  loadTimeoutMs?: number;
  /**
   * Pages with workers (`harness.pageWorkers`): how long one attempt's worker may take before the page replaces it
   * and the request is retried (`E_WORKER_LOST`). Capped at the request's remaining time; the last allowed attempt
   * gets all of it. @default half of the request's remaining time at each attempt (a stuck model leaves the other
   * half for a retry on the replaced worker or another connection)
   */
  workerRunTimeoutMs?: number;
  /** Requests admitted at once (queued + running) across the pool; one more is refused with E_QUEUE_FULL. @default 1024 */
  maxQueuedRequests?: number;
  /** Requests a connection runs at once (more are queued on it). Above 1 lets calls travel in batch frames. @default 8 */
  connectionConcurrency?: number;
  /**
   * MiB of model files one connection holds at most. Placing a model over it releases cold copies there: copies held
   * elsewhere too first, least recently used first, then the only copies, idle longest first; never one with calls
   * queued or running. A later call loads an evicted model again (`model:evicted` events, `stats().evictions`).
   * 0 = no limit. @default 1024 (a page's WASM heap is at most 4 GiB, and a session needs its weights plus working
   * memory there)
   */
  modelBudgetMB?: number;
  /** Attempts on other connections after a connection-level failure (lost, breaker open). @default 2 */
  maxRetries?: number;
  /** Launch-to-ready deadline of a replacement connection. @default 30_000 */
  connectTimeoutMs?: number;
  breaker?: BreakerOptions;
  scaling?: ScalingOptions;
  health?: HealthOptions;
  /** How requests are placed on connections. @default AffinityRoutingPolicy */
  routing?: RoutingPolicy;
  /** Page server, bridge, heartbeat settings; drivers per browser kind. @default {} */
  harness?: HarnessOptions;
  /** Extra drivers (e.g. a remote browser) merged over the harness defaults. */
  drivers?: Partial<Record<BrowserKind, BrowserDriver>>;
  /**
   * Records every event and snapshot, answers report calls, and advises routing from stored history
   * (db-integration's `DuckDBPoolDatabase`; see `createPool` in the cli package). @default none
   */
  database?: PoolDatabase;
  /**
   * Use the database's stored history to order browsers and backends per model (falls back to
   * `browserPreference` and `backends` where history is thin). Ignored without a database. @default true
   */
  routingHistory?: boolean;
}

export interface ResolvedPoolOptions {
  browsers: BrowserKind[];
  hosts: HostSource[];
  discovery: HostDiscovery | undefined;
  reconnect: Required<ReconnectOptions>;
  browserPreference: Record<ModelType, BrowserKind[]>;
  catalogue: ModelCatalogue;
  backends: Backend[];
  runTimeoutMs: number;
  loadTimeoutMs: number;
  /** undefined: half the remaining time per attempt. */
  workerRunTimeoutMs: number | undefined;
  maxQueuedRequests: number;
  connectionConcurrency: number;
  modelBudgetMB: number;
  maxRetries: number;
  connectTimeoutMs: number;
  breaker: Required<BreakerOptions>;
  scaling: Required<ScalingOptions>;
  health: Required<HealthOptions>;
  routing: RoutingPolicy | undefined;
  harness: HarnessOptions;
  database: PoolDatabase | undefined;
  routingHistory: boolean;
}

function intAtLeast(field: string, value: unknown, min: number, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionsError(`option ${field} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function bool(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'boolean') {
    throw new InvalidOptionsError(`option ${field} must be a boolean, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function listOf<T extends string>(field: string, value: unknown, allowed: readonly T[], fallback: T[]): T[] {
  if (value === undefined) {
    return fallback;
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => (allowed as readonly unknown[]).includes(v))) {
    throw new InvalidOptionsError(
      `option ${field} must be a non-empty array of ${allowed.map((a) => `"${a}"`).join(' | ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T[];
}

/** Drivers per browser kind: each must be one driver object of that kind (several endpoints go in `hosts`). */
function checkDrivers(field: string, drivers: unknown): void {
  if (drivers === undefined) {
    return;
  }
  if (typeof drivers !== 'object' || drivers === null || Array.isArray(drivers)) {
    throw new InvalidOptionsError(`option ${field} must be an object of one driver per browser kind, got ${JSON.stringify(drivers)}`);
  }
  for (const [kind, driver] of Object.entries(drivers)) {
    if (!(BROWSER_KINDS as readonly string[]).includes(kind)) {
      throw new InvalidOptionsError(`option ${field} has unknown browser kind "${kind}" (expected ${BROWSER_KINDS.join(' | ')})`);
    }
    assertDriver(`option ${field}.${kind}`, driver);
    if (driver.kind !== kind) {
      throw new InvalidOptionsError(`option ${field}.${kind} is a driver of kind "${driver.kind}"; put it under "${driver.kind}"`);
    }
  }
}

function resolveHosts(hosts: unknown): HostSource[] {
  if (hosts === undefined) {
    return [];
  }
  if (!Array.isArray(hosts)) {
    throw new InvalidOptionsError(`option hosts must be an array of { wsEndpoint, browser? } or { driver, id }, got ${JSON.stringify(hosts)}`);
  }
  const resolved = hosts.map((h, i) => resolveHost(h, `option hosts[${i}]`));
  const ids = resolved.map((h) => h.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) {
    throw new InvalidOptionsError(`option hosts lists "${dup}" twice; give each host once (or a distinct id)`);
  }
  return resolved;
}

export function resolvePoolOptions(options: PoolOptions = {}): ResolvedPoolOptions {
  checkDrivers('drivers', options.drivers);
  checkDrivers('harness.drivers', options.harness?.drivers);
  const hosts = resolveHosts(options.hosts);
  if (options.discovery !== undefined && typeof (options.discovery as Partial<HostDiscovery>).list !== 'function') {
    throw new InvalidOptionsError('option discovery must come from staticHosts(), fileHosts() or dnsHosts() (an object with list())');
  }
  const remoteOnly = hosts.length > 0 || options.discovery !== undefined;
  const browsers =
    remoteOnly && (options.browsers === undefined || (Array.isArray(options.browsers) && options.browsers.length === 0))
      ? []
      : listOf('browsers', options.browsers, BROWSER_KINDS, ['chromium']);
  const browserPreference = { ...DEFAULT_BROWSER_PREFERENCE };
  for (const type of MODEL_TYPES) {
    browserPreference[type] = listOf(`browserPreference.${type}`, options.browserPreference?.[type], BROWSER_KINDS, DEFAULT_BROWSER_PREFERENCE[type]);
  }
  const s = options.scaling ?? {};
  const minConnections = intAtLeast('scaling.minConnections', s.minConnections, 1, Math.max(1, browsers.length + hosts.length));
  const r = options.reconnect ?? {};
  const initialDelayMs = intAtLeast('reconnect.initialDelayMs', r.initialDelayMs, 1, 250);
  const b = options.breaker ?? {};
  return {
    browsers,
    hosts,
    discovery: options.discovery,
    reconnect: { initialDelayMs, maxDelayMs: intAtLeast('reconnect.maxDelayMs', r.maxDelayMs, initialDelayMs, Math.max(initialDelayMs, 5000)) },
    browserPreference,
    catalogue: options.catalogue ?? ModelCatalogue.default(),
    backends: listOf('backends', options.backends, BACKENDS, ['webgpu', 'wasm']),
    runTimeoutMs: intAtLeast('runTimeoutMs', options.runTimeoutMs, 1, 30_000),
    loadTimeoutMs: intAtLeast('loadTimeoutMs', options.loadTimeoutMs, 1, 120_000),
    workerRunTimeoutMs: options.workerRunTimeoutMs === undefined ? undefined : intAtLeast('workerRunTimeoutMs', options.workerRunTimeoutMs, 1, 0),
    maxQueuedRequests: intAtLeast('maxQueuedRequests', options.maxQueuedRequests, 1, 1024),
    connectionConcurrency: intAtLeast('connectionConcurrency', options.connectionConcurrency, 1, 8),
    modelBudgetMB: intAtLeast('modelBudgetMB', options.modelBudgetMB, 0, 1024),
    maxRetries: intAtLeast('maxRetries', options.maxRetries, 0, 2),
    connectTimeoutMs: intAtLeast('connectTimeoutMs', options.connectTimeoutMs, 1, 30_000),
    breaker: {
      errorThresholdPercentage: intAtLeast('breaker.errorThresholdPercentage', b.errorThresholdPercentage, 1, 50),
      volumeThreshold: intAtLeast('breaker.volumeThreshold', b.volumeThreshold, 1, 5),
      resetTimeoutMs: intAtLeast('breaker.resetTimeoutMs', b.resetTimeoutMs, 1, 5000),
      rollingWindowMs: intAtLeast('breaker.rollingWindowMs', b.rollingWindowMs, 1, 10_000),
    },
    scaling: {
      minConnections,
      maxConnections: intAtLeast('scaling.maxConnections', s.maxConnections, minConnections, Math.max(minConnections, 4)),
      scaleUpQueueDepth: intAtLeast('scaling.scaleUpQueueDepth', s.scaleUpQueueDepth, 1, 8),
      idleTimeoutMs: intAtLeast('scaling.idleTimeoutMs', s.idleTimeoutMs, 1, 60_000),
      cooldownMs: intAtLeast('scaling.cooldownMs', s.cooldownMs, 0, 5000),
      recycleAfterInferences: intAtLeast('scaling.recycleAfterInferences', s.recycleAfterInferences, 0, 0),
      recycleAboveMemoryMB: intAtLeast('scaling.recycleAboveMemoryMB', s.recycleAboveMemoryMB, 0, 0),
      intervalMs: intAtLeast('scaling.intervalMs', s.intervalMs, 10, 1000),
      spareConnections: intAtLeast('scaling.spareConnections', s.spareConnections, 0, 0),
    },
    health: { knownAnswerIntervalMs: intAtLeast('health.knownAnswerIntervalMs', options.health?.knownAnswerIntervalMs, 0, 15_000) },
    routing: options.routing,
    harness: { ...options.harness, drivers: { ...options.harness?.drivers, ...options.drivers } },
    database: options.database,
    routingHistory: bool('routingHistory', options.routingHistory, true),
  };
}
