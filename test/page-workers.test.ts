/**
 * harness.pageWorkers in real Chromium: sessions live in dedicated Web Workers, the page's main thread keeps the
 * socket and answers pings during long loads and runs, two models run at once on different workers, and a stuck or
 * crashed worker is replaced in milliseconds (its call fails with the retryable E_WORKER_LOST, its session comes
 * back, the browser is not relaunched). One harness and one browser serve every test.
 */
import { readFile } from 'node:fs/promises';

import { type Backend, BrowserHarness, type Connection, ErrorCode, type TensorMap } from '@browser-pool/browser-harness';
import { ModelCatalogue, runReference } from '@browser-pool/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FP32_TOLERANCE, worstDiff } from './helpers';

const catalogue = ModelCatalogue.default();
let harness: BrowserHarness;
let page: Connection;

beforeAll(async () => {
  harness = await BrowserHarness.start({ pageWorkers: 2, channel: { heartbeatIntervalMs: 250, maxMissedPongs: 8 } });
  page = await harness.launch('chromium');
});
afterAll(async () => {
  await harness.close();
});

async function load(name: string, backend: Backend = 'wasm', timeoutMs = 60_000): Promise<string> {
  const source = await catalogue.get(name).source();
  if (source.kind !== 'file') {
    throw new Error(`${name} is expected as a file`);
  }
  const info = await page.load(name, { kind: 'url', url: harness.serveFile(source.path) }, backend, {}, { timeoutMs });
  return info.sessionId;
}

async function expectReference(name: string, sessionId: string, seed: number): Promise<void> {
  const entry = catalogue.get(name);
  const inputs: TensorMap = entry.sampleInputs({ batch: 1, seed });
  const result = await page.run(sessionId, inputs, { timeoutMs: 30_000 });
  expect(worstDiff(result.outputs, await runReference(await entry.source(), inputs))).toBeLessThanOrEqual(FP32_TOLERANCE);
}

/** Pings every `everyMs` until `until` settles; resolves with the round trips seen. */
async function pingsDuring(until: Promise<unknown>, everyMs = 20): Promise<number[]> {
  const rtts: number[] = [];
  let done = false;
  void until.finally(() => {
    done = true;
  });
  while (!done) {
    rtts.push(await page.ping({ timeoutMs: 5000 }));
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return rtts;
}

describe('page workers', () => {
  it('reports its workers, with WebGPU probed inside a worker', async () => {
    expect(page.hasWorkers).toBe(true);
    expect(page.capabilities.workers?.count).toBe(2);
    expect(page.capabilities.workers?.webgpu.available).toBe(true);
    expect(page.capabilities.wasm.threads).toBe(true);
    const workers = await page.workers();
    expect(workers.map((w) => [w.index, w.respawns])).toEqual([
      [0, 0],
      [1, 0],
    ]);
    // Worker 0 answered the probe (ORT loaded); worker 1 may still be importing ORT on a busy machine.
    expect(workers[0]!.state).toBe('ready');
    expect(['starting', 'ready']).toContain(workers[1]!.state);
  });

  it('outputs equal the onnxruntime-node reference (wasm, webgpu, inline bytes), sessions spread over workers', async () => {
    const bert = await load('bert-tiny');
    const vit = await load('vit-tiny', 'webgpu');
    const bytes = new Uint8Array(await (await import('node:fs/promises')).readFile(((await catalogue.get('audio-encoder-tiny').source()) as { path: string }).path));
    const audio = (await page.load('audio-encoder-tiny', { kind: 'bytes', bytes }, 'wasm')).sessionId;
    await expectReference('bert-tiny', bert, 1);
    await expectReference('vit-tiny', vit, 2);
    await expectReference('audio-encoder-tiny', audio, 3);
    const workers = await page.workers();
    expect(workers.map((w) => w.sessions.length).sort()).toEqual([1, 2]);
    // Both workers instantiated ORT's WASM from the one module the page compiled (the hook reports it), not their own.
    expect(workers.map((w) => w.wasm)).toEqual(['shared module', 'shared module']);
    await Promise.all([bert, vit, audio].map((s) => page.release(s)));
    expect((await page.workers()).every((w) => w.sessions.length === 0)).toBe(true);
  });

  it('two models on one page run at the same time on different workers', async () => {
    const a = await load('bert-small');
    const b = await load('vit-small');
    const workers = await page.workers();
    expect(workers.filter((w) => w.sessions.length === 1)).toHaveLength(2);
    const inputsA = catalogue.get('bert-small').sampleInputs();
    const inputsB = catalogue.get('vit-small').sampleInputs();
    await page.loop(a, inputsA, 3, 3);
    await page.loop(b, inputsB, 3, 3);
    const timed = async (f: () => Promise<unknown>): Promise<number> => {
      const start = performance.now();
      await f();
      return performance.now() - start;
    };
    const n = 150;
    const aloneA = await timed(() => page.loop(a, inputsA, 0, n));
    const aloneB = await timed(() => page.loop(b, inputsB, 0, n));
    let runs: number[][] = [];
    const together = await timed(async () => {
      runs = await Promise.all([page.loop(a, inputsA, 0, n), page.loop(b, inputsB, 0, n)]);
    });
    // Proof that they ran at the same time, whatever the machine's load: each worker times its own runs, and two loops
    // done one after the other cannot spend more time in runs than the wall clock saw pass (a ratio <= 1). The speed-up
    // is printed, not asserted (1.68x on an idle 2-core machine, 0.97x while unit tests shared it): speed is the
    // workers bench's to measure (`npm run bench -- --suite workers`).
    const inRuns = runs.flat().reduce((x, y) => x + y, 0);
    const overlap = inRuns / together;
    console.log(`concurrency: A alone ${aloneA.toFixed(0)} ms, B alone ${aloneB.toFixed(0)} ms, together ${together.toFixed(0)} ms: ${((aloneA + aloneB) / together).toFixed(2)}x; in runs ${inRuns.toFixed(0)} ms, ${overlap.toFixed(2)}x the wall clock (page cores ${page.capabilities.hardwareConcurrency}, ${page.capabilities.wasm.numThreads} wasm thread(s) per worker)`);
    expect(runs.map((r) => r.length)).toEqual([n, n]);
    expect(overlap).toBeGreaterThan(1.1);
    await Promise.all([a, b].map((s) => page.release(s)));
  });

  it('answers pings at once during a long in-worker loop and during a WebGPU load and first run', async () => {
    const silero = await load('silero-vad');
    const loop = page.loop(silero, catalogue.get('silero-vad').sampleInputs(), 0, 2000, { timeoutMs: 60_000 });
    const loopStart = performance.now();
    const duringLoop = await pingsDuring(loop);
    const loopMs = performance.now() - loopStart;
    const loadStart = performance.now();
    const loadAndFirstRun = (async () => {
      const s = await load('vit-small', 'webgpu');
      await page.run(s, catalogue.get('vit-small').sampleInputs(), { timeoutMs: 60_000 });
      return s;
    })();
    const duringLoad = await pingsDuring(loadAndFirstRun);
    const loadMs = performance.now() - loadStart;
    const worst = (xs: number[]): number => Math.max(...xs);
    console.log(`pings: ${duringLoop.length} during a ${loopMs.toFixed(0)} ms loop, worst ${worst(duringLoop).toFixed(1)} ms; ${duringLoad.length} during a ${loadMs.toFixed(0)} ms webgpu load + first run, worst ${worst(duringLoad).toFixed(1)} ms`);
    expect(duringLoop.length).toBeGreaterThan(5);
    // Idle machine: 36 / 97 ms. The bound (shared 2-core machine) still separates this from a main-thread page, which
    // answers nothing for the whole load or first run (seconds).
    expect(worst(duringLoop)).toBeLessThan(1000);
    expect(worst(duringLoad)).toBeLessThan(1000);
    await page.release(silero);
    await page.release(await loadAndFirstRun);
  });

  it('a worker stuck in a busy loop is replaced within the call deadline; the call fails retryably, the session is back, same browser', async () => {
    const pid = page.pid;
    const stuck = await load('bert-tiny');
    const other = await load('silero-vad');
    const workersBefore = await page.workers();
    const stuckWorker = workersBefore.find((w) => w.sessions.some((s) => s.sessionId === stuck))!;
    expect(workersBefore.find((w) => w.sessions.some((s) => s.sessionId === other))!.index).not.toBe(stuckWorker.index);
    await page.faults.faultWorker(stuck, 'spin');
    const timeoutMs = 1500;
    const started = performance.now();
    const failed = await page.run(stuck, catalogue.get('bert-tiny').sampleInputs(), { timeoutMs }).then(
      () => undefined,
      (error: unknown) => error,
    );
    const failedAfterMs = performance.now() - started;
    expect(failed).toMatchObject({ code: ErrorCode.WorkerLost });
    expect(failedAfterMs).toBeLessThan(timeoutMs);
    // The page's other worker kept serving meanwhile, and serves now.
    await expectReference('silero-vad', other, 4);
    const recoverStart = performance.now();
    await expectReference('bert-tiny', stuck, 5);
    const recoveryMs = performance.now() - recoverStart;
    const after = (await page.workers()).find((w) => w.index === stuckWorker.index)!;
    expect(after).toMatchObject({ state: 'ready', respawns: stuckWorker.respawns + 1 });
    expect(after.lastLoss?.reason).toMatch(/missed the deadline/);
    expect(after.sessions.map((s) => s.sessionId)).toContain(stuck);
    expect(after.wasm).toBe('shared module');
    console.log(`stuck worker: call failed ${failedAfterMs.toFixed(0)} ms after it was sent (deadline ${timeoutMs} ms); terminate -> sessions reloaded in the page ${after.lastLoss?.respawnMs?.toFixed(0)} ms (replaced by: ${after.lastLoss?.replacement}, ${after.lastLoss?.standby ?? 0} session(s) already held there as standby copies); from the failure to the next correct answer ${recoveryMs.toFixed(0)} ms`);
    // The page's warm spare (ORT's WASM already instantiated, started long before this test) took over: only the
    // session was reloaded. A fresh worker took 1.4 s idle and 2-4 s busy; the bound holds on a busy 2-core machine.
    expect(after.lastLoss?.replacement).toBe('warm spare');
    expect(after.lastLoss?.respawnMs ?? Infinity).toBeLessThan(3000);
    expect(page.pid).toBe(pid);
    expect(page.state.kind).toBe('ready');
    await Promise.all([stuck, other].map((s) => page.release(s)));
  });

  it('a crashed worker is replaced the same way, reloading a model sent as bytes from the copy the worker kept', async () => {
    // Inline bytes move to the worker, which hands the page a copy (shared memory) for reloads: the respawn uses it.
    const bytes = new Uint8Array(await readFile(((await catalogue.get('bert-tiny').source()) as { path: string }).path));
    const session = (await page.load('bert-tiny', { kind: 'bytes', bytes }, 'wasm', {}, { timeoutMs: 60_000 })).sessionId;
    const before = (await page.workers()).find((w) => w.sessions.some((s) => s.sessionId === session))!;
    await page.faults.faultWorker(session, 'crash');
    const deadline = Date.now() + 5000;
    let after = before;
    while (after.respawns === before.respawns && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      after = (await page.workers()).find((w) => w.index === before.index)!;
    }
    expect(after.lastLoss?.reason).toMatch(/crashed/);
    await expectReference('bert-tiny', session, 6);
    const settled = (await page.workers()).find((w) => w.index === before.index)!;
    expect(settled).toMatchObject({ state: 'ready', respawns: before.respawns + 1 });
    console.log(`crashed worker: sessions reloaded ${settled.lastLoss?.respawnMs?.toFixed(0)} ms after the crash was seen (replaced by: ${settled.lastLoss?.replacement})`);
    // The spare used by the previous test is replaced in the background; it may still be warming here.
    expect(['warm spare', 'warming spare']).toContain(settled.lastLoss?.replacement);
    await page.release(session);
  });
});

describe('page workers in Firefox ESR', () => {
  it('runs WASM sessions in workers with reference outputs; a spun worker is replaced in the same browser', async () => {
    const ff = await BrowserHarness.start({ pageWorkers: 2 });
    try {
      const fox = await ff.launch('firefox');
      expect(fox.capabilities.workers?.count).toBe(2);
      const source = (await catalogue.get('bert-tiny').source()) as { path: string };
      const { sessionId, backend } = await fox.load('bert-tiny', { kind: 'url', url: ff.serveFile(source.path) }, 'wasm', {}, { timeoutMs: 60_000 });
      expect(backend).toBe('wasm');
      const entry = catalogue.get('bert-tiny');
      const inputs = entry.sampleInputs({ batch: 1, seed: 7 });
      const reference = await runReference(await entry.source(), inputs);
      expect(worstDiff((await fox.run(sessionId, inputs, { timeoutMs: 30_000 })).outputs, reference)).toBeLessThanOrEqual(FP32_TOLERANCE);
      const holding = (await fox.workers()).filter((w) => w.sessions.length > 0);
      expect(holding.flatMap((w) => w.sessions.map((s) => s.sessionId))).toEqual([sessionId]);
      // Firefox clones the page's compiled module to its workers too.
      expect(holding[0]!.wasm).toBe('shared module');
      const pid = fox.pid;
      await fox.faults.faultWorker(sessionId, 'spin');
      const failed = await fox.run(sessionId, inputs, { timeoutMs: 2000 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).toMatchObject({ code: ErrorCode.WorkerLost });
      expect(worstDiff((await fox.run(sessionId, inputs, { timeoutMs: 30_000 })).outputs, reference)).toBeLessThanOrEqual(FP32_TOLERANCE);
      const replaced = (await fox.workers()).find((w) => w.respawns === 1)!;
      console.log(`firefox ${fox.browserVersion}: worker WebGPU ${fox.capabilities.workers?.webgpu.available ? 'available' : 'unavailable'}; spun worker respawned in ${replaced.lastLoss?.respawnMs?.toFixed(0)} ms (${replaced.lastLoss?.replacement})`);
      expect(replaced.lastLoss?.reason).toMatch(/missed the deadline/);
      expect(replaced.wasm).toBe('shared module');
      expect(fox.pid).toBe(pid);
    } finally {
      await ff.close();
    }
  }, 120_000);
});
