/**
 * The pool across real browsers: Chromium and Firefox ESR, with Edge absent (as on these machines). Routing by model
 * type with the fallback recorded, hundreds of concurrent runs equal to the reference, a bounded queue, cancellation,
 * stats, and a remote browser server in another process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

import { ErrorCode, findChromium, RemoteDriver, type TensorMap } from '@browser-pool/browser-harness';
import { ModelCatalogue, runReference } from '@browser-pool/models';
import { type PoolEvents, ResourcePool } from '@browser-pool/pool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FP32_TOLERANCE, worstDiff } from './helpers';

const catalogue = ModelCatalogue.default();
let pool: ResourcePool;
const events: { name: keyof PoolEvents; payload: unknown }[] = [];

beforeAll(async () => {
  pool = new ResourcePool({ catalogue, browsers: ['chromium', 'firefox', 'edge'], backends: ['wasm'], health: { knownAnswerIntervalMs: 0 } });
  for (const name of ['browser:unavailable', 'connection:up', 'model:loaded', 'inference:completed'] as const) {
    pool.on(name, (payload: unknown) => events.push({ name, payload }));
  }
  await pool.initialize();
});
afterAll(async () => {
  await pool.close();
});

describe('routing across browsers', () => {
  it('starts Chromium and Firefox and reports Edge as unavailable with the reason', () => {
    expect(pool.connections.map((c) => c.browser).sort()).toEqual(['chromium', 'firefox']);
    expect(events).toContainEqual({
      name: 'browser:unavailable',
      payload: expect.objectContaining({ browser: 'edge', code: ErrorCode.BrowserUnavailable, reason: expect.stringContaining('Microsoft Edge is not installed') }),
    });
    expect(pool.stats().unavailableBrowsers.edge).toContain('/opt/microsoft/msedge/msedge');
  });

  it('routes audio to Firefox and vision to Chromium; text_embedding falls back past the missing Edge', async () => {
    const audio = await pool.getModel('audio', 'audio-encoder-tiny');
    const vision = await pool.getModel('vision', 'vit-tiny');
    const text = await pool.getModel('text_embedding', 'bert-tiny');
    expect(audio.placement).toMatchObject({ browser: 'firefox', preferredBrowser: 'firefox', browserFallbackReason: undefined });
    expect(vision.placement).toMatchObject({ browser: 'chromium', preferredBrowser: 'chromium' });
    expect(text.placement).toMatchObject({ browser: 'chromium', preferredBrowser: 'edge' });
    expect(text.placement.browserFallbackReason).toMatch(/fell back past edge: Microsoft Edge is not installed/);
    const loaded = events.filter((e) => e.name === 'model:loaded').map((e) => e.payload as { model: string; placement: { browserFallbackReason?: string } });
    expect(loaded.find((p) => p.model === 'bert-tiny')?.placement.browserFallbackReason).toMatch(/edge/);
  });

  it('runs a model in Firefox equal to the onnxruntime-node reference', async () => {
    const entry = catalogue.get('audio-encoder-tiny');
    const model = await pool.getModel('audio', 'audio-encoder-tiny');
    const inputs = entry.sampleInputs({ batch: 2, seed: 5 });
    const result = await model.run(inputs);
    expect(result.browser).toBe('firefox');
    expect(worstDiff(result.outputs, await runReference(await entry.source(), inputs))).toBeLessThanOrEqual(FP32_TOLERANCE);
  });

  it('runs hundreds of concurrent requests across three models, every one equal to the reference', async () => {
    const names = [['text_embedding', 'bert-tiny'], ['vision', 'vit-tiny'], ['audio', 'audio-encoder-tiny']] as const;
    const handles = await Promise.all(names.map(([type, name]) => pool.getModel(type, name)));
    const cases: { handle: number; inputs: TensorMap; expected: TensorMap }[] = [];
    for (let seed = 0; seed < 10; seed++) {
      for (let h = 0; h < names.length; h++) {
        const entry = catalogue.get(names[h]![1]);
        const inputs = entry.sampleInputs({ seed });
        cases.push({ handle: h, inputs, expected: await runReference(await entry.source(), inputs) });
      }
    }
    const jobs = Array.from({ length: 300 }, (_, i) => cases[i % cases.length]!);
    const results = await Promise.all(jobs.map((j) => handles[j.handle]!.run(j.inputs)));
    results.forEach((r, i) => expect(worstDiff(r.outputs, jobs[i]!.expected)).toBeLessThanOrEqual(FP32_TOLERANCE));
    const browsers = new Set(results.map((r) => r.browser));
    expect(browsers).toEqual(new Set(['chromium', 'firefox']));
    const stats = pool.stats();
    expect(stats.queueDepth).toBe(0);
    expect(stats.perBrowser.firefox?.completed).toBeGreaterThanOrEqual(100);
    expect(stats.perModel['vit-tiny']).toBeGreaterThanOrEqual(1);
  });
});

describe('bounds and cancellation', () => {
  it('refuses requests beyond maxQueuedRequests at once with E_QUEUE_FULL, and runs the admitted ones', async () => {
    const small = new ResourcePool({ catalogue, maxQueuedRequests: 5, backends: ['wasm'], health: { knownAnswerIntervalMs: 0 } });
    try {
      const model = await small.getModel('vision', 'vit-tiny');
      const inputs = catalogue.get('vit-tiny').sampleInputs();
      const start = performance.now();
      const settled = await Promise.allSettled(Array.from({ length: 50 }, () => model.run(inputs)));
      const rejected = settled.filter((s) => s.status === 'rejected').map((s) => (s).reason as { code: string });
      expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(5);
      expect(rejected).toHaveLength(45);
      expect(rejected.every((e) => e.code === ErrorCode.QueueFull)).toBe(true);
      expect(performance.now() - start).toBeLessThan(10_000);
      expect(small.stats().errors).toBe(45);
    } finally {
      await small.close();
    }
  });

  it('a request cancelled while queued is removed and never runs', async () => {
    const serial = new ResourcePool({ catalogue, connectionConcurrency: 1, backends: ['wasm'], health: { knownAnswerIntervalMs: 0 } });
    try {
      const model = await serial.getModel('vision', 'vit-tiny');
      const inputs = catalogue.get('vit-tiny').sampleInputs();
      await model.run(inputs);
      const before = serial.stats().connections[0]!.completed;
      const controller = new AbortController();
      const first = model.run(inputs);
      const cancelled = model.run(inputs, { signal: controller.signal });
      const third = model.run(inputs);
      controller.abort();
      await expect(cancelled).rejects.toMatchObject({ code: ErrorCode.Aborted });
      await Promise.all([first, third]);
      expect(serial.stats().connections[0]!.completed - before).toBe(2);
    } finally {
      await serial.close();
    }
  });
});

describe("a caller's abort on a hung page", () => {
  it('settles a running request at once with E_ABORTED; the page serves again after', async () => {
    const p = new ResourcePool({ catalogue, backends: ['wasm'], health: { knownAnswerIntervalMs: 0 } });
    try {
      const vision = await p.getModel('vision', 'vit-tiny');
      const inputs = catalogue.get('vit-tiny').sampleInputs();
      await vision.run(inputs);
      await p.connections[0]!.connection.faults.stallPage(3000);
      const controller = new AbortController();
      const running = vision.run(inputs, { signal: controller.signal }).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 300));
      const abortedAt = performance.now();
      controller.abort();
      // The connection queue no longer races a running request against its signal; the page call itself answers it.
      expect(await running).toMatchObject({ code: ErrorCode.Aborted, message: 'run aborted by the caller' });
      expect(performance.now() - abortedAt).toBeLessThan(1000);
      const after = await vision.run(inputs, { timeoutMs: 20_000 });
      expect(worstDiff(after.outputs, await runReference(await catalogue.get('vit-tiny').source(), inputs))).toBeLessThanOrEqual(FP32_TOLERANCE);
    } finally {
      await p.close();
    }
  });
});

describe('remote browsers', () => {
  let server: ChildProcess;
  let wsEndpoint: string;
  beforeAll(async () => {
    // A Playwright browser server in another process, reached only through its WebSocket endpoint.
    const script = `require('playwright-core').chromium.launchServer({ executablePath: ${JSON.stringify(findChromium())}, args: ['--enable-unsafe-webgpu'] }).then((s) => console.log(s.wsEndpoint()))`;
    server = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(server.stdout!, 'data')) as [Buffer];
    wsEndpoint = line.toString().trim();
  });
  afterAll(() => {
    server.kill('SIGKILL');
  });

  it('runs inference in a browser launched by another process, equal to the reference', async () => {
    const remote = new ResourcePool({ catalogue, drivers: { chromium: new RemoteDriver({ wsEndpoint }) }, backends: ['wasm'], health: { knownAnswerIntervalMs: 0 } });
    try {
      const entry = catalogue.get('vit-tiny');
      const model = await remote.getModel('vision', 'vit-tiny');
      const inputs = entry.sampleInputs({ seed: 3 });
      const result = await model.run(inputs);
      expect(worstDiff(result.outputs, await runReference(await entry.source(), inputs))).toBeLessThanOrEqual(FP32_TOLERANCE);
      expect(remote.connections[0]!.connection.pid).toBeUndefined();
      expect(wsEndpoint).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//);
    } finally {
      await remote.close();
    }
  });
});
