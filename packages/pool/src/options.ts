/** Pool options: documented defaults applied in one place, validation that names field, value and expectation. */
import {
  type Backend,
  BACKENDS,
  BROWSER_KINDS,
  type BrowserKind,
  type HarnessOptions,
  InvalidOptionsError,
} from '@browser-pool/browser-harness';
import { ModelCatalogue } from '@browser-pool/models';

export interface PoolOptions {
  /** Browsers to open, one connection each. @default ['chromium'] */
  browsers?: BrowserKind[];
  /** Models `getModel` can name. @default ModelCatalogue.default() */
  catalogue?: ModelCatalogue;
  /** Backends tried in order when `getModel` names none. @default ['webgpu', 'wasm'] */
  backends?: Backend[];
  /** Deadline of one inference call, end to end. @default 30_000 */
  runTimeoutMs?: number;
  /** Deadline of one model load (download, compile, session create). @default 120_000 */
  loadTimeoutMs?: number;
  /** Page server, bridge, heartbeat and driver settings. @default {} */
  harness?: HarnessOptions;
}

export interface ResolvedPoolOptions {
  browsers: BrowserKind[];
  catalogue: ModelCatalogue;
  backends: Backend[];
  runTimeoutMs: number;
  loadTimeoutMs: number;
  harness: HarnessOptions;
}

function positiveInt(field: string, value: unknown, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidOptionsError(`option ${field} must be a positive integer (ms), got ${JSON.stringify(value)}`);
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

export function resolvePoolOptions(options: PoolOptions = {}): ResolvedPoolOptions {
  return {
    browsers: listOf('browsers', options.browsers, BROWSER_KINDS, ['chromium']),
    catalogue: options.catalogue ?? ModelCatalogue.default(),
    backends: listOf('backends', options.backends, BACKENDS, ['webgpu', 'wasm']),
    runTimeoutMs: positiveInt('runTimeoutMs', options.runTimeoutMs, 30_000),
    loadTimeoutMs: positiveInt('loadTimeoutMs', options.loadTimeoutMs, 120_000),
    harness: options.harness ?? {},
  };
}
