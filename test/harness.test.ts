/**
 * The harness in real Chromium: measured capabilities, and real faults (page closed, browser SIGKILLed, page main
 * thread frozen) surfacing as typed errors quickly. Hostile peers: bridge-hostile.test.ts.
 */
import { BrowserHarness, type Connection, ErrorCode } from '@browser-pool/browser-harness';
import { ModelCatalogue } from '@browser-pool/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const catalogue = ModelCatalogue.default();
let harness: BrowserHarness;

beforeAll(async () => {
  harness = await BrowserHarness.start({ channel: { heartbeatIntervalMs: 250, maxMissedPongs: 8 } });
});
afterAll(async () => {
  await harness.close();
});

async function loadSilero(connection: Connection): Promise<string> {
  const source = await catalogue.get('silero-vad').source();
  if (source.kind !== 'file') {throw new Error('silero is a packaged file');}
  const info = await connection.load('silero-vad', { kind: 'url', url: harness.serveFile(source.path) }, 'wasm');
  return info.sessionId;
}

/**
 * Waits until the calls issued so far have left in their own frame. Calls issued in one event-loop turn may travel
 * as one batch frame (always so when a heartbeat ping went out earlier in that turn), and a page without workers
 * answers a batch with one frame: a fault that drops every second frame would then lose both runs, not the one meant.
 */
function outOfTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Starts a long in-page loop; resolves with what it settled to (its error, normally), handled from the start. */
function longCall(connection: Connection, sessionId: string): Promise<unknown> {
  return connection
    .loop(sessionId, catalogue.get('silero-vad').sampleInputs(), 0, 1_000_000, { timeoutMs: 120_000 })
    .then(
      (samples) => ({ resolved: samples.length }),
      (error: unknown) => error,
    );
}

describe('capabilities probed in real Chromium', () => {
  it('reports WebGPU on a software adapter, WebNN present but unusable, WASM SIMD and threads', async () => {
    const c = await harness.launch('chromium');
    try {
      const caps = c.capabilities;
      expect(c.browserVersion).toMatch(/^\d+\./);
      expect(caps.userAgent).toContain('Chrome/');
      expect(caps.ortVersion).toBe('1.30.0');
      expect(caps.crossOriginIsolated).toBe(true);
      expect(caps.wasm).toMatchObject({ simd: true, threads: true });
      expect(caps.wasm.numThreads).toBeGreaterThanOrEqual(1);
      expect(caps.hardwareConcurrency).toBeGreaterThan(0);
      expect(caps.webgpu.available).toBe(true);
      if (caps.webgpu.available) {
        expect(caps.webgpu.adapter.architecture).toBe('swiftshader');
        expect(caps.webgpu.adapter.isFallbackAdapter).toBe(true);
        expect(caps.webgpu.isRealHardware).toBe(false);
        expect(caps.webgpu.features).not.toContain('shader-f16');
        expect(caps.webgpu.limits.maxBufferSize).toBeGreaterThan(0);
      }
      expect(caps.webnn.apiPresent).toBe(true);
      for (const device of ['cpu', 'gpu', 'npu'] as const) {
        expect(caps.webnn.devices[device]).toMatchObject({ available: false, error: expect.stringContaining('NotSupportedError') });
      }
      expect(c.pid).toBeGreaterThan(0);
    } finally {
      await c.close();
    }
  });
});

describe('real faults', () => {
  it('page closed mid-call fails the call with E_CONNECTION_LOST quickly', async () => {
    const c = await harness.launch('chromium');
    const call = longCall(c, await loadSilero(c));
    await new Promise((r) => setTimeout(r, 300));
    const start = Date.now();
    await c.faults.closePage();
    expect(await call).toMatchObject({ code: ErrorCode.ConnectionLost });
    expect(Date.now() - start).toBeLessThan(2000);
    expect(c.state.kind).toBe('closed');
    await c.close();
  });

  it('browser SIGKILLed mid-call fails the call with E_CONNECTION_LOST quickly', async () => {
    const c = await harness.launch('chromium');
    const call = longCall(c, await loadSilero(c));
    await new Promise((r) => setTimeout(r, 300));
    const start = Date.now();
    c.faults.killBrowser();
    expect(await call).toMatchObject({ code: ErrorCode.ConnectionLost });
    expect(Date.now() - start).toBeLessThan(2000);
    await c.close();
  });

  it('a run the page lost is told from a slow one: its timeout says so when a later run on its session was answered first', async () => {
    const c = await harness.launch('chromium');
    try {
      const [a, b] = [await loadSilero(c), await loadSilero(c)];
      const inputs = catalogue.get('silero-vad').sampleInputs();
      await Promise.all([c.run(a, inputs), c.run(b, inputs)]);
      // From now on the page drops every second run reply: the 1st goes, the 2nd is lost, the 3rd goes, ...
      await c.faults.dropRunReplies();
      await c.run(a, inputs);
      const lost = c.run(a, inputs, { timeoutMs: 1500 }).catch((error: unknown) => error);
      await outOfTurn();
      await c.run(a, inputs);
      // The page runs a session's calls in order: the later one answered first proves the earlier one lost.
      expect(await lost).toMatchObject({
        code: ErrorCode.Timeout,
        message: expect.stringContaining('a later call on the same session was answered meanwhile, so the page lost this one'),
        details: { overtaken: true },
      });
      // An answer on another session proves nothing (page workers answer sessions out of order): a plain timeout.
      const unproven = c.run(a, inputs, { timeoutMs: 1500 }).catch((error: unknown) => error);
      await outOfTurn();
      await c.run(b, inputs);
      const error = (await unproven) as { code: string; details?: Record<string, unknown>; message: string };
      expect(error.code).toBe(ErrorCode.Timeout);
      expect(error.details?.['overtaken']).toBeUndefined();
      expect(error.message).not.toContain('lost this one');
    } finally {
      await c.close();
    }
  });

  it('a page whose main thread hangs is detected by the heartbeat', async () => {
    const c = await harness.launch('chromium');
    const sessionId = await loadSilero(c);
    // Warm first: a session's first run is a blocking call, covered by its own deadline rather than the heartbeat.
    await c.run(sessionId, catalogue.get('silero-vad').sampleInputs());
    const start = Date.now();
    await c.faults.freezePage();
    const call = c.run(sessionId, catalogue.get('silero-vad').sampleInputs(), { timeoutMs: 60_000 });
    await expect(call).rejects.toMatchObject({ code: ErrorCode.ConnectionLost, message: expect.stringMatching(/heartbeat/) });
    // 250 ms x 8 missed pongs = 2 s of silence, plus one tick.
    expect(Date.now() - start).toBeLessThan(5000);
    await c.close();
  });
});
