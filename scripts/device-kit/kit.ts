/**
 * Device kit entry (bundled by scripts/device-kit/build.sh into one .mjs).
 *   kit.mjs workers [--quick]   the same as `tsx bench/index.ts [--quick] --suite workers`
 *   kit.mjs gpu [--quick]       WebGPU check: adapter per Chromium flag set, then models on webgpu and wasm in one page,
 *                               p50 of in-page runs and max abs difference vs onnxruntime-node (runReference)
 * Results JSON goes to $KIT_RESULTS (a folder) or ./bench-results.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { type Backend, BrowserHarness, CHROMIUM_ARGS, ChromiumDriver, type Connection, findChromium, type TensorMap, WORKER_PAGE_ARGS } from '@browser-pool/browser-harness';
import { accuracyOf, ModelCatalogue, runReference } from '@browser-pool/models';
import { chromium } from 'playwright-core';

import { mixedWorkload } from '../../bench/pool';
import { percentile } from '../../bench/stats';
import { workersBench } from '../../bench/workers';

const mode = process.argv[2];
const quick = process.argv.includes('--quick');
const resultsDir = process.env.KIT_RESULTS ?? 'bench-results';
const results: Record<string, unknown> = {};
const record = (k: string, v: unknown): void => {
  results[k] = v;
};

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
/** Writes the figures so far (called again as they grow: a later crash or timeout keeps what was measured). */
function save(name: string, quiet = false): void {
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name}-${stamp}.json`);
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), quick, results }, null, 2));
  if (!quiet) {
    console.log(`\nraw figures: ${file}`);
  }
}

async function workers(): Promise<void> {
  // bench/index.ts starts one harness before any suite; the workers suite does not use it, kept for parity.
  const harness = await BrowserHarness.start();
  try {
    await workersBench({ quick, record });
  } finally {
    await harness.close();
  }
  save('workers');
}

// ---------------------------------------------------------------- gpu
const ENABLE = '--enable-features=WebMachineLearningNeuralNetwork,NetworkServiceInProcess2,Vulkan,VulkanFromANGLE,DefaultANGLEVulkan';
const VULKAN = ['--ignore-gpu-blocklist', ENABLE, '--use-angle=vulkan', '--use-vulkan=native', '--disable-vulkan-surface', '--enable-unsafe-webgpu'];
const NVIDIA_ICD = process.env.KIT_NVIDIA_ICD ?? '';
interface Variant {
  args: string[];
  /** VK_ICD_FILENAMES / VK_DRIVER_FILES for the browser: the NVIDIA ICD json, or the loader's own search. */
  icd: 'nvidia' | 'nvidia both' | 'loader default';
}
/** Flag sets tried in order; the first whose probe reports real hardware is used for the model runs. */
const VARIANTS: Record<string, Variant> = {
  'nvidia icd (VK_ICD_FILENAMES), vulkan angle+native': { args: VULKAN, icd: 'nvidia' },
  'nvidia icd (VK_ICD_FILENAMES+VK_DRIVER_FILES), vulkan angle+native': { args: VULKAN, icd: 'nvidia both' },
  'nvidia icd (VK_ICD_FILENAMES), vulkan angle only': { args: VULKAN.filter((a) => a !== '--use-vulkan=native'), icd: 'nvidia' },
  'nvidia icd (VK_ICD_FILENAMES), default GL + --ignore-gpu-blocklist': { args: ['--ignore-gpu-blocklist'], icd: 'nvidia' },
  'loader default icds, vulkan angle+native': { args: VULKAN, icd: 'loader default' },
  'loader default icds, harness defaults': { args: [], icd: 'loader default' },
};

function useIcd(v: Variant): void {
  // VK_DRIVER_FILES wins over VK_ICD_FILENAMES in newer loaders, and Dawn's SwiftShader fallback sets only the latter:
  // with VK_DRIVER_FILES on a broken ICD there is no fallback adapter at all.
  delete process.env.VK_DRIVER_FILES;
  if (v.icd !== 'loader default' && NVIDIA_ICD !== '') {
    process.env.VK_ICD_FILENAMES = NVIDIA_ICD;
    if (v.icd === 'nvidia both') {
      process.env.VK_DRIVER_FILES = NVIDIA_ICD;
    }
  } else {
    delete process.env.VK_ICD_FILENAMES;
    delete process.env.VK_DRIVER_FILES;
  }
}

type Probe = Connection['capabilities']['webgpu'];

function describeWebgpu(w: Probe): string {
  if (!w.available) {
    return `NOT available: ${w.reason}`;
  }
  const a = w.adapter;
  return `vendor=${a.vendor} architecture=${a.architecture} device=${a.device} description=${a.description} isFallbackAdapter=${a.isFallbackAdapter} ` +
    `isRealHardware=${w.isRealHardware}${w.softwareReason === undefined ? '' : ` (${w.softwareReason})`} features=${w.features.length} maxBufferSize=${w.limits.maxBufferSize ?? '?'}`;
}

async function withHarness<T>(extraArgs: string[], f: (h: BrowserHarness, c: Connection) => Promise<T>): Promise<T> {
  const harness = await BrowserHarness.start({ pageWorkers: 0, connectTimeoutMs: 90_000, drivers: { chromium: new ChromiumDriver({ extraArgs }) } });
  try {
    const connection = await harness.launch('chromium');
    return await f(harness, connection);
  } finally {
    await harness.close();
  }
}

/** Text of chrome://gpu (through shadow roots), navigator.gpu from about:blank, and the browser's stderr. */
async function diagnose(extraArgs: string[]): Promise<Record<string, unknown>> {
  const log: string[] = [];
  const exe = findChromium();
  const browser = await chromium.launch({
    ...(exe === undefined ? {} : { executablePath: exe }),
    args: [...CHROMIUM_ARGS, ...extraArgs, '--enable-logging=stderr', '--v=0'],
    timeout: 90_000,
    logger: { isEnabled: (name) => name === 'browser', log: (_name, _sev, message) => void log.push(String(message)) },
  });
  try {
    const page = await browser.newPage();
    // navigator.gpu needs a secure context: an https page answered by the route, no network
    await page.route('https://kit.invalid/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>kit</title>' }));
    await page.goto('https://kit.invalid/');
    const adapter = await page.evaluate(async () => {
      const gpu = (globalThis as unknown as { navigator: { gpu?: { requestAdapter: (o?: object) => Promise<{ info?: Record<string, unknown>; isFallbackAdapter?: boolean } | null> } } }).navigator.gpu;
      if (gpu === undefined) {
        return { gpu: 'navigator.gpu undefined' };
      }
      const out: Record<string, unknown> = {};
      for (const pref of ['high-performance', 'low-power']) {
        try {
          const a = await gpu.requestAdapter({ powerPreference: pref });
          out[pref] = a === null ? null : { info: a.info === undefined ? null : { vendor: a.info.vendor, architecture: a.info.architecture, device: a.info.device, description: a.info.description, isFallbackAdapter: a.info.isFallbackAdapter } };
        } catch (e) {
          out[pref] = `error: ${String(e)}`;
        }
      }
      return out;
    });
    let gpuPage = '';
    try {
      await page.goto('chrome://gpu', { timeout: 20_000 });
      await page.waitForTimeout(3000);
      gpuPage = await page.evaluate(() => {
        // The few DOM members used, typed here: this file compiles without the DOM library.
        interface DomNode {
          shadowRoot?: DomNode | null;
          childNodes: ArrayLike<DomNode>;
          nodeType: number;
          textContent: string | null;
          tagName?: string;
        }
        const walk = (n: DomNode): string => {
          let s = '';
          const root = n.shadowRoot;
          if (root) {
            s += walk(root);
          }
          for (const c of Array.from(n.childNodes)) {
            if (c.nodeType === 3) {
              s += c.textContent;
            } else if (c.nodeType === 1) {
              const tag = c.tagName ?? '';
              if (tag === 'SCRIPT' || tag === 'STYLE') {
                continue;
              }
              s += walk(c);
              if (/^(DIV|TR|P|H\d|LI|TABLE|SPAN)$/.test(tag)) {
                s += tag === 'SPAN' ? ' ' : '\n';
              }
            }
          }
          return s;
        };
        return walk((globalThis as unknown as { document: { body: DomNode } }).document.body).replace(/\n\s*\n+/g, '\n');
      });
    } catch (e) {
      gpuPage = `chrome://gpu failed: ${String(e)}`;
    }
    return { adapter, gpuPage, stderr: [...log, ...directStderr(extraArgs)].filter((l) => /vulkan|gpu|dawn|webgpu|angle|egl|icd|driver|error|fail/i.test(l)).slice(-150) };
  } finally {
    await browser.close();
  }
}

/** The browser's own stderr (GPU process errors) from a direct headless run of ~10 s. */
function directStderr(extraArgs: string[]): string[] {
  const exe = findChromium();
  if (exe === undefined) {
    return ['no chromium'];
  }
  const r = spawnSync(exe, ['--headless', '--no-sandbox', ...CHROMIUM_ARGS, ...extraArgs, '--enable-logging=stderr', '--v=0', '--virtual-time-budget=5000', '--dump-dom', 'chrome://gpu'], { encoding: 'utf8', timeout: 25_000 });
  return `${r.stderr ?? ''}`.split('\n').map((l) => `[direct] ${l}`);
}

function maxAbsDiff(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): number {
  if (a.length !== b.length) {
    return Infinity;
  }
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(Number(a[i]) - Number(b[i]));
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}

async function gpu(): Promise<void> {
  const catalogue = ModelCatalogue.default();
  const models = (process.env.KIT_GPU_MODELS ?? 'vit-tiny,bert-tiny,bert-small,vit-small,bert-base').split(',').filter((m) => m !== '');
  const runs = Number(process.env.KIT_GPU_RUNS ?? (quick ? 20 : 50));
  console.log(`NVIDIA ICD json: ${NVIDIA_ICD === '' ? 'none' : NVIDIA_ICD}`);
  if (process.env.KIT_VKPROBE !== undefined && existsSync(process.env.KIT_VKPROBE)) {
    try {
      console.log(`vkprobe (the Vulkan loader alone, outside Chromium):\n${execFileSync(process.env.KIT_VKPROBE, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 })}`);
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      console.log(`vkprobe failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    }
  }
  const probes: Record<string, unknown> = {};
  let chosen: string | undefined;
  let anyAdapter: string | undefined;
  for (const [name, v] of Object.entries(VARIANTS)) {
    const args = v.args;
    useIcd(v);
    try {
      const caps = await withHarness(args, (_h, c) => Promise.resolve(c.capabilities));
      probes[name] = { args, icd: v.icd, webgpu: caps.webgpu, userAgent: caps.userAgent, cores: caps.hardwareConcurrency, wasm: caps.wasm };
      console.log(`probe [${name}]: ${describeWebgpu(caps.webgpu)}`);
      if (caps.webgpu.available && anyAdapter === undefined) {
        anyAdapter = name;
      }
      if (caps.webgpu.available && caps.webgpu.isRealHardware) {
        chosen = name;
        break;
      }
    } catch (e) {
      probes[name] = { args, icd: v.icd, error: (e as Error).message };
      console.log(`probe [${name}]: launch failed: ${(e as Error).message.slice(0, 400)}`);
    }
  }
  record('gpu.probes', probes);
  if (chosen === undefined) {
    console.log('\nNo hardware WebGPU adapter. Diagnosis with the first flag set (navigator.gpu, chrome://gpu, browser stderr):');
    try {
      useIcd(Object.values(VARIANTS)[0]!);
      const d = await diagnose(Object.values(VARIANTS)[0]!.args);
      record('gpu.diagnosis', d);
      console.log(`requestAdapter: ${JSON.stringify(d.adapter)}`);
      console.log(`chrome://gpu (command line left out):\n${String(d.gpuPage).split('\n').filter((l) => !l.startsWith('Command Line')).join('\n').slice(0, 14000)}`);
      console.log(`browser stderr (gpu-related, last lines):\n${(d.stderr as string[]).join('\n').slice(-6000)}`);
    } catch (e) {
      console.log(`diagnosis failed: ${(e as Error).message}`);
    }
    chosen = anyAdapter ?? Object.keys(VARIANTS)[0]!;
  }
  const useArgs = VARIANTS[chosen]!.args;
  useIcd(VARIANTS[chosen]!);
  console.log(`\nModel runs with flag set [${chosen}]: ${useArgs.join(' ')} (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? 'unset'})`);
  record('gpu.flags', { chosen, args: useArgs, icd: process.env.VK_ICD_FILENAMES ?? null, base: [...CHROMIUM_ARGS, ...WORKER_PAGE_ARGS] });
  const rows: Record<string, unknown>[] = [];
  await withHarness(useArgs, async (harness, c) => {
    console.log(`page: ${c.browserVersion}, ${c.capabilities.hardwareConcurrency} cores, wasm threads ${c.capabilities.wasm.numThreads}, ort ${c.capabilities.ortVersion}; webgpu: ${describeWebgpu(c.capabilities.webgpu)}`);
    const real = c.capabilities.webgpu.available && c.capabilities.webgpu.isRealHardware;
    // wasm first: a page lost on webgpu (a renderer crash) must not cost the WASM figures
    const backends: Backend[] = c.capabilities.webgpu.available ? ['wasm', 'webgpu'] : ['wasm'];
    for (const name of models) {
      const entry = catalogue.get(name);
      const source = await entry.source();
      if (source.kind !== 'file') {
        continue;
      }
      const inputs: TensorMap = entry.sampleInputs({ batch: 1, seed: 7 });
      const t0 = performance.now();
      const reference = await runReference(source, inputs);
      const refMs = performance.now() - t0;
      const outs: Record<string, TensorMap> = {};
      for (const backend of backends) {
        const row: Record<string, unknown> = { model: name, backend };
        if (backend === 'webgpu' && !real && name.endsWith('-base')) {
          console.log(`${name.padEnd(12)} webgpu  skipped: software adapter (SwiftShader lost the page on bert-base in a local try)`);
          continue;
        }
        try {
          const info = await c.load(name, { kind: 'url', url: harness.serveFile(source.path) }, backend, {}, { timeoutMs: 120_000 });
          row.actualBackend = info.backend;
          const first = await c.run(info.sessionId, inputs, { timeoutMs: 120_000 });
          outs[backend] = first.outputs;
          // software WebGPU (SwiftShader) is slow: a few runs only
          const n = backend === 'webgpu' && !real ? (name.endsWith('-base') ? 3 : Math.min(runs, 10)) : runs;
          const samples = await c.loop(info.sessionId, inputs, 3, n, { timeoutMs: 120_000 });
          row.runs = n;
          row.p50Ms = percentile(samples, 50);
          row.p90Ms = percentile(samples, 90);
          const diffs: Record<string, number> = {};
          const acc: Record<string, unknown> = {};
          for (const [out, ref] of Object.entries(reference)) {
            const got = first.outputs[out];
            diffs[out] = got === undefined ? NaN : maxAbsDiff(ref.data, got.data);
            if (got !== undefined && ref.dtype === 'float32') {
              acc[out] = accuracyOf(ref.data as Float32Array, got.data as Float32Array);
            }
          }
          row.maxAbsVsReference = diffs;
          row.accuracy = acc;
          await c.release(info.sessionId);
        } catch (e) {
          row.error = (e as Error).message.slice(0, 500);
        }
        rows.push(row);
        const d = row.maxAbsVsReference as Record<string, number> | undefined;
        console.log(`${name.padEnd(12)} ${backend.padEnd(7)} ${row.error === undefined ? `ran on ${String(row.actualBackend)}, p50 ${(row.p50Ms as number).toFixed(3)} ms (p90 ${(row.p90Ms as number).toFixed(3)}, ${String(row.runs)} runs), max|diff| vs ort-node ${Object.values(d ?? {}).map((v) => v.toExponential(2)).join('/')}` : `FAILED: ${row.error as string}`}`);
      }
      if (outs.webgpu !== undefined && outs.wasm !== undefined) {
        const diff = Object.keys(outs.wasm).map((k) => maxAbsDiff(outs.wasm![k]!.data as ArrayLike<number>, outs.webgpu![k]?.data as ArrayLike<number> ?? [])).reduce((a, b) => Math.max(a, b), 0);
        rows.push({ model: name, webgpuVsWasmMaxAbs: diff });
        console.log(`${name.padEnd(12)} webgpu vs wasm max|diff| ${diff.toExponential(2)}   (reference on ort-node took ${refMs.toFixed(0)} ms)`);
      }
      record('gpu.rows', rows);
      save('gpu', true);
    }
  });
  record('gpu.rows', rows);
}

if (mode === 'workers') {
  await workers();
} else if (mode === 'pool') {
  await mixedWorkload({ quick, record });
  save('pool');
  process.exit(0);
} else if (mode === 'gpu') {
  // a browser that will not close must not hold the figures hostage
  const budgetS = Number(process.env.KIT_GPU_BUDGET_S ?? 170);
  await Promise.race([gpu(), new Promise((r) => setTimeout(r, budgetS * 1000)).then(() => console.log(`gpu check: time budget of ${budgetS} s reached, stopped (figures so far are saved)`))]);
  save('gpu');
  process.exit(0);
} else {
  console.error('usage: kit.mjs workers|gpu [--quick]');
  process.exit(2);
}
