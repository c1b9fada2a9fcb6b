import { BackendError, type Backend, type DType, type DataArray, type FusedKernelName, type FusedKernels, type KernelName, type Kernels, type View } from '@heed/tensor';
import { attentionBackward, attentionForward } from './attention.js';
import { Device, type DeviceMemory, type GpuHandle, type GpuInstance, type Runner } from './device.js';
import { binaryProgram, contiguousProgram, fillProgram, unaryProgram, whereProgram } from './kernels/elementwise.js';
import { concatGroup, concatProgram, gatherProgram, scatterAddProgram } from './kernels/indexing.js';
import { matmulProgram } from './kernels/matmul.js';
import { reduceProgram, softmaxApplyProgram, softmaxStatsProgram } from './kernels/reduce.js';
import { gpuClass, selectMode, variableType, type GpuMode, type GpuModeName, type WebGpuOptions } from './modes.js';
import { denseView, sizeOf } from './program.js';
import { WgslRuntime } from './webgpu/runtime.js';
import { wgslKernels, type WgslKernels } from './webgpu/wgsl-kernels.js';

/** Options of {@link createGpuBackend}. */
export interface GpuBackendOptions {
  /** Which gpu.js mode to run in; `auto` (the default) picks the fastest available. */
  mode?: GpuMode;
  /**
   * When an explicitly requested mode is unavailable: `false` (the default) throws a
   * `BackendError` naming the reason; `true` falls back as `auto` would and records why in
   * `fallbackReason`.
   */
  fallback?: boolean;
  /** In `auto` mode, consider only modes that read synchronously (`dataSync`), i.e. skip WebGPU. */
  synchronous?: boolean;
  /** How WebGPU finds its adapter (Node: Dawn flags; browsers: a `GPU` object). */
  webgpu?: WebGpuOptions;
  /**
   * The most attention scores held at once by the fused attention kernels (elements of one
   * [N, L, block] tile; default 2^22). Smaller saves device memory, larger launches fewer kernels.
   */
  attentionTileElements?: number;
  /**
   * In webgpu mode, run the hand-written WGSL kernels (tiled matmul with workgroup memory, flash
   * attention forward and backward, whole-sequence LSTM/GRU/RNN sweeps) on gpu.js's own device
   * instead of gpu.js programs. Default true; false runs every kernel through gpu.js.
   */
  wgsl?: boolean;
  /**
   * How many workgroups share one block's loop in the WGSL attention kernels (split-KV in the
   * forward and dQ, split queries in dK/dV; partial results are merged by a second dispatch).
   * Default: chosen from the number of rows (more when there are few, to fill the GPU).
   */
  attentionKeySplits?: number;
}

/**
 * A heed backend that runs every kernel with gpu.js, plus what it says about itself.
 * Tensors live on the device (textures, storage buffers or wasm arrays) and are read back only
 * by `await tensor.data()` (every mode) or `tensor.dataSync()` (every mode but WebGPU).
 */
export interface GpuBackend extends Backend<GpuHandle> {
  /** The mode in use. */
  readonly mode: GpuModeName;
  /** The mode that was asked for. */
  readonly requestedMode: GpuMode;
  /** Why the mode in use differs from the one asked for (or, for `auto`, why faster modes were skipped); null otherwise. */
  readonly fallbackReason: string | null;
  /** True on WebGPU, where reads must be awaited. */
  readonly asynchronous: boolean;
  /** The WebGPU adapter's description (null on other modes). */
  readonly adapter: string | null;
  /** Live device handles and bytes, compiled kernels and launches: a memory probe for leak tests. */
  memory(): DeviceMemory;
  /** Resolves when every queued kernel has run (WebGPU; immediate elsewhere). */
  flush(): Promise<void>;
  /** Frees compiled kernels and the gpu.js instance. Tensors of this backend are unusable afterwards. */
  destroy(): Promise<void>;
}

function toDType(data: Float32Array, dtype: DType): DataArray {
  if (dtype === 'float32') return data;
  if (dtype === 'int32') return Int32Array.from(data);
  return Uint8Array.from(data, (value) => (value !== 0 ? 1 : 0));
}

/**
 * Creates the gpu.js backend. Asynchronous because finding a WebGPU adapter is.
 *
 * @example
 * ```ts
 * import { setBackend, tensor } from '@heed/tensor';
 * import { createGpuBackend } from '@heed/gpu';
 * const backend = await createGpuBackend({ mode: 'auto' });
 * console.log(backend.mode, backend.fallbackReason);
 * setBackend(backend);
 * const y = tensor([[1, 2], [3, 4]]).matmul(tensor([[1], [1]]));
 * console.log(await y.data()); // Float32Array [3, 7]
 * ```
 */
export async function createGpuBackend(options: GpuBackendOptions = {}): Promise<GpuBackend> {
  const requestedMode = options.mode ?? 'auto';
  const selection = await selectMode(requestedMode, options);
  const GPU = gpuClass();
  const gpu = new GPU({ mode: selection.mode }) as GpuInstance;
  const device = new Device(gpu, selection.mode, variableType());
  const wgsl = selection.mode === 'webgpu' && options.wgsl !== false ? wgslKernels(device, await WgslRuntime.create(), options.attentionKeySplits) : null;
  return buildBackend(device, requestedMode, selection.fallbackReason, selection.adapter, options.attentionTileElements ?? 1 << 22, wgsl);
}

function buildBackend(device: Device, requestedMode: GpuMode, fallbackReason: string | null, adapter: string | null, tileElements: number, wgsl: WgslKernels | null): GpuBackend {
  const runner: Runner = { run: (program) => device.run(program), dispose: (handle) => device.dispose(handle), tileElements };
  const kernels: { [K in KernelName]: (args: Kernels<GpuHandle>[K]['args']) => GpuHandle } = {
    contiguous: ({ x, dtype }) => device.run(contiguousProgram(x, dtype)),
    fill: ({ shape, value }) => device.run(fillProgram(shape, value)),
    unary: ({ op, x }) => device.run(unaryProgram(op, x)),
    binary: ({ op, a, b, shape }) => device.run(binaryProgram(op, a, b, shape)),
    where: ({ condition, a, b, shape }) => device.run(whereProgram(condition, a, b, shape)),
    reduce: ({ op, x, axis }) => device.run(reduceProgram(op, x, axis, Infinity)),
    matmul: ({ a, b }) => (wgsl ? wgsl.matmul(a, b) : device.run(matmulProgram(a, b))),
    softmax: ({ x, log }) => {
      if (sizeOf(x.shape) === 0) return device.run(fillProgram(x.shape, 0));
      const rows = sizeOf(x.shape.slice(0, -1));
      const stats = device.run(softmaxStatsProgram(x, Infinity));
      const out = device.run(softmaxApplyProgram(x, denseView(stats, [rows * 2]), log, Infinity));
      device.dispose(stats);
      return out;
    },
    gather: ({ x, axis, index }) => device.run(gatherProgram(x, axis, index, NaN)),
    scatterAdd: ({ shape, axis, index, source }) => device.run(scatterAddProgram(shape, axis, index, source)),
    concat: ({ inputs, axis, shape }) => concat(device, inputs, axis, shape),
  };
  // The fused kernels this backend implements (the others fall back to composed ops).
  const fused: { [K in FusedKernelName]?: (args: FusedKernels<GpuHandle>[K]['args']) => FusedKernels<GpuHandle>[K]['result'] } = {
    attentionForward: (args) => wgsl?.attentionForward(args) ?? attentionForward(runner, args),
    attentionBackward: (args) => wgsl?.attentionBackward(args) ?? attentionBackward(runner, args),
    ...(wgsl ? { lstmSequence: wgsl.lstmSequence, gruSequence: wgsl.gruSequence, rnnSequence: wgsl.rnnSequence } : {}),
  };
  const backend: GpuBackend = {
    name: `gpu.js:${device.mode}`,
    specVersion: 1,
    mode: device.mode,
    requestedMode,
    fallbackReason,
    asynchronous: device.asynchronous,
    adapter,
    upload: (data) => device.upload(data),
    read: async (handle, dtype, size) => toDType((await device.read(handle)).subarray(0, size), dtype),
    dispose: (handle) => device.dispose(handle),
    run<K extends KernelName>(kernel: K, args: Kernels<GpuHandle>[K]['args']): Kernels<GpuHandle>[K]['result'] {
      const implementation = kernels[kernel] as ((args: Kernels<GpuHandle>[K]['args']) => GpuHandle) | undefined;
      if (!implementation) throw new BackendError(String(kernel), `the gpu.js backend has no kernel named ${String(kernel)}`);
      return implementation(args);
    },
    runFused<K extends FusedKernelName>(kernel: K, args: FusedKernels<GpuHandle>[K]['args']): FusedKernels<GpuHandle>[K]['result'] {
      const implementation = fused[kernel];
      if (!implementation) throw new BackendError(String(kernel), `the gpu.js backend has no fused kernel ${String(kernel)}; check supports() first`);
      return implementation(args);
    },
    supports: (kernel) => kernel in fused,
    memory: () => {
      const memory = device.memory();
      return wgsl ? { ...memory, compiledKernels: memory.compiledKernels + wgsl.compiled, wgslPipelines: wgsl.compiled } : memory;
    },
    flush: () => device.flush(),
    destroy: () => device.destroy(),
  };
  if (!device.asynchronous) {
    (backend as { readSync?: Backend<GpuHandle>['readSync'] }).readSync = (handle, dtype, size) => toDType(device.readSync(handle).subarray(0, size), dtype);
  }
  return backend;
}

/** Concat in groups of {@link concatGroup} views (texture units are few), then joins the groups. */
function concat(device: Device, inputs: readonly View<GpuHandle>[], axis: number, shape: readonly number[]): GpuHandle {
  const present = inputs.filter((view) => view.shape[axis] > 0);
  if (present.length <= concatGroup || sizeOf(shape) === 0) return device.run(concatProgram(present, axis, shape));
  const groups: View<GpuHandle>[] = [];
  for (let start = 0; start < present.length; start += concatGroup) {
    const group = present.slice(start, start + concatGroup);
    const groupShape = [...shape];
    groupShape[axis] = group.reduce((total, view) => total + view.shape[axis], 0);
    groups.push(denseView(device.run(concatProgram(group, axis, groupShape)), groupShape));
  }
  const out = concat(device, groups, axis, shape);
  for (const group of groups) device.dispose(group.handle);
  return out;
}
