// The WebNN and device-memory shapes the probe reads (WebGPU's come from @webgpu/types).
interface MlLike {
  createContext(options: { deviceType: string }): Promise<unknown>;
}
interface Navigator {
  readonly ml?: MlLike;
  readonly deviceMemory?: number;
}
