/** Probes what this browser can run: WebGPU adapter, WebNN devices, WASM features. Every field is measured. */
import {
  type Capabilities,
  type WebgpuCapability,
  WEBNN_DEVICES,
  type WebnnDevice,
} from '../protocol';
import type { OrtModule } from './ort-loader';

const SOFTWARE_ARCHITECTURES = ['swiftshader', 'lavapipe', 'llvmpipe', 'softpipe', 'warp'];
const ADAPTER_TIMEOUT_MS = 5000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

async function probeWebgpu(): Promise<WebgpuCapability> {
  // @webgpu/types declares navigator.gpu always present; browsers without WebGPU leave it out.
  const gpu = (navigator as Partial<NavigatorGPU>).gpu;
  if (gpu === undefined) {
    return { available: false, reason: 'navigator.gpu is undefined (WebGPU disabled or not supported)' };
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await withTimeout(gpu.requestAdapter(), ADAPTER_TIMEOUT_MS, 'requestAdapter()');
  } catch (error) {
    return { available: false, reason: `requestAdapter() failed: ${(error as Error).message}` };
  }
  if (adapter === null) {
    return { available: false, reason: 'requestAdapter() returned null (no usable adapter)' };
  }
  // Older browsers lack adapter.info or its isFallbackAdapter: read both defensively.
  const info: Partial<GPUAdapterInfo> = (adapter as Partial<GPUAdapter>).info ?? {};
  const isFallbackAdapter = info.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false;
  const architecture = info.architecture ?? '';
  const vendor = info.vendor ?? '';
  const features: string[] = [];
  adapter.features.forEach((f) => features.push(f));
  const limits: Record<string, number> = {};
  for (const key of ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize'] as const) {
    limits[key] = adapter.limits[key];
  }
  const software = SOFTWARE_ARCHITECTURES.find((s) => `${architecture} ${info.description ?? ''}`.toLowerCase().includes(s));
  const softwareReason = isFallbackAdapter
    ? `fallback adapter${software === undefined ? '' : ` (${software})`}: WebGPU runs on the CPU`
    : software === undefined
      ? undefined
      : `software adapter ${software}: WebGPU runs on the CPU`;
  return {
    available: true,
    adapter: { vendor, architecture, device: info.device ?? '', description: info.description ?? '', isFallbackAdapter },
    features,
    limits,
    isRealHardware: softwareReason === undefined,
    ...(softwareReason === undefined ? {} : { softwareReason }),
  };
}

async function probeWebnnDevice(device: WebnnDevice): Promise<Capabilities['webnn']['devices']['cpu']> {
  if (navigator.ml === undefined) {
    return { available: false, error: 'navigator.ml is undefined (WebNN not exposed by this browser)' };
  }
  try {
    await withTimeout(navigator.ml.createContext({ deviceType: device }), ADAPTER_TIMEOUT_MS, 'ml.createContext()');
    return { available: true };
  } catch (error) {
    const e = error as Error;
    return { available: false, error: `${e.name}: ${e.message}` };
  }
}

// The smallest module using a v128 instruction: validates only where SIMD is supported.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export async function probeCapabilities(ort: OrtModule, transport: Capabilities['transport']): Promise<Capabilities> {
  const [webgpu, ...webnnDevices] = await Promise.all([
    probeWebgpu(),
    ...WEBNN_DEVICES.map((d) => probeWebnnDevice(d)),
  ]);
  const [cpu, gpu, npu] = webnnDevices as [typeof webnnDevices[0], typeof webnnDevices[0], typeof webnnDevices[0]];
  const threads = typeof SharedArrayBuffer !== 'undefined' && crossOriginIsolated;
  return {
    userAgent: navigator.userAgent,
    webgpu,
    webnn: { apiPresent: navigator.ml !== undefined, devices: { cpu, gpu, npu } },
    wasm: {
      simd: WebAssembly.validate(SIMD_PROBE),
      threads,
      numThreads: threads ? Math.max(1, Number(ort.env.wasm.numThreads ?? 1) || 1) : 1,
    },
    crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    deviceMemoryGb: navigator.deviceMemory ?? null,
    ortVersion: ort.env.versions.web ?? 'unknown',
    transport,
  };
}
