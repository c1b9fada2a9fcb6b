/**
 * `@heed/gpu`: a gpu.js backend for `@heed/tensor`. One backend object, six gpu.js modes
 * (webgpu, webgl2, webgl, headlessgl, webasm, cpu), the same user code on each.
 *
 * @example
 * ```ts
 * import { setBackend, tensor } from '@heed/tensor';
 * import { createGpuBackend } from '@heed/gpu';
 * setBackend(await createGpuBackend());
 * console.log(await tensor([1, 2, 3]).exp().data());
 * ```
 * @packageDocumentation
 */
export { createGpuBackend, type GpuBackend, type GpuBackendOptions } from './gpu-backend.js';
export { gpuModes, probeWebGpu, type GpuMode, type GpuModeName, type WebGpuOptions, type WebGpuProbe } from './modes.js';
export type { DeviceMemory, GpuHandle } from './device.js';
