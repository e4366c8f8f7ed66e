/**
 * What exists here: one connection per browser kind, probed by our page (WebGPU adapter and whether it is real
 * hardware, WebNN devices, WASM SIMD/threads), every row written to `hardware_availability_log` by the recorder.
 * `bench` runs it first to know which combinations can run and which results are software.
 */
import { type Backend, BROWSER_KINDS, type BrowserKind, type Capabilities } from '@browser-pool/browser-harness';

import { createPool } from './create-pool';

export interface BackendAvailability {
  browser: BrowserKind;
  browserVersion: string | undefined;
  backend: Backend;
  available: boolean;
  /** wasm: true (CPU by design); webgpu: false on a software adapter; undefined when unavailable. */
  isRealHardware: boolean | undefined;
  /** Why it is unavailable, or why it is not real hardware. */
  reason: string | undefined;
}

/** Availability of every backend of one probed browser. */
export function backendsOf(browser: BrowserKind, version: string, c: Capabilities): BackendAvailability[] {
  const gpu = c.webgpu;
  const webnn = Object.entries(c.webnn.devices).filter(([, d]) => d.available);
  const webnnReason = Object.entries(c.webnn.devices).map(([k, d]) => `${k}: ${d.available ? 'ok' : d.error}`).join('; ');
  return [
    { browser, browserVersion: version, backend: 'webgpu', available: gpu.available, isRealHardware: gpu.available ? gpu.isRealHardware : undefined, reason: gpu.available ? gpu.softwareReason : gpu.reason },
    { browser, browserVersion: version, backend: 'webnn', available: webnn.length > 0, isRealHardware: webnn.length > 0 ? true : undefined, reason: webnn.length > 0 ? undefined : webnnReason },
    { browser, browserVersion: version, backend: 'wasm', available: true, isRealHardware: true, reason: `SIMD ${c.wasm.simd ? 'on' : 'off'}, threads ${c.wasm.threads ? c.wasm.numThreads : 'off'}` },
  ];
}

/** Launches each browser kind once, logs what it found into the database, and returns it. */
export async function detectAvailability(dbPath: string, browsers: readonly BrowserKind[] = BROWSER_KINDS): Promise<BackendAvailability[]> {
  const pool = await createPool({
    dbPath,
    browsers: [...browsers],
    health: { knownAnswerIntervalMs: 0 },
    scaling: { spareConnections: 0 },
    db: { scanOnClose: false, adviceRefreshMs: 0 },
  });
  try {
    await pool.initialize();
    const found = pool.connections.flatMap((c) => backendsOf(c.browser, c.connection.browserVersion, c.capabilities));
    const missing = Object.entries(pool.stats().unavailableBrowsers).map(([browser, reason]) =>
      (['webgpu', 'webnn', 'wasm'] as const).map((backend) => ({ browser: browser as BrowserKind, browserVersion: undefined, backend, available: false, isRealHardware: undefined, reason })),
    );
    return [...found, ...missing.flat()].sort((a, b) => a.browser.localeCompare(b.browser) || a.backend.localeCompare(b.backend));
  } finally {
    await pool.close();
  }
}
