// A module exporting createBackend(), for `pnpm test:reference --backend=packages/gpu/scripts/backend.ts`.
// The mode comes from HEED_GPU_MODE (default auto); software WebGPU adapters are allowed.
import { createGpuBackend, type GpuMode } from '@heed/gpu';

export async function createBackend() {
  const mode = (process.env.HEED_GPU_MODE ?? 'auto') as GpuMode;
  return createGpuBackend({ mode, webgpu: { allowSoftwareAdapter: true } });
}
