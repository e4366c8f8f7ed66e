// The few WebGPU and WebNN shapes the probe reads. Declared here rather than pulling @webgpu/types for six fields.
interface GpuAdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}
interface GpuAdapterLike {
  readonly info?: GpuAdapterInfoLike;
  readonly isFallbackAdapter?: boolean;
  readonly features: { forEach(cb: (value: string) => void): void };
  readonly limits: Record<string, unknown>;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<GpuAdapterLike | null>;
}
interface MlLike {
  createContext(options: { deviceType: string }): Promise<unknown>;
}
interface Navigator {
  readonly gpu?: GpuLike;
  readonly ml?: MlLike;
  readonly deviceMemory?: number;
}
