import type { Backend, DataArray, FusedKernelName, FusedKernels, KernelName, Kernels } from '../backend.js';
import { BackendError } from '../errors.js';
import { sizeOf } from '../shape.js';
import type { WasmFeatures } from '../wasm/features.js';
import { acquireRuntime, planCpu, precompile, type CpuPlan } from '../wasm/runtimes.js';
import { wasmKernels } from '../wasm/wasm-kernels.js';
import { attentionBackwardKernel, attentionForwardKernel } from './attention.js';
import { binaryKernel, unaryKernel, whereKernel } from './elementwise.js';
import { gruSequenceKernel } from './gru.js';
import { rnnSequenceKernel } from './rnn.js';
import { lstmSequenceKernel } from './lstm.js';
import { matmulKernel } from './matmul.js';
import { concatKernel } from './concat.js';
import { gatherKernel, scatterAddKernel } from './gather.js';
import { reduceKernel } from './reduce.js';
import { softmaxKernel } from './softmax.js';
import { allocate, readView } from './strided.js';

/** The CPU backend's kernel table: every required kernel over typed arrays. */
export type CpuKernels = { [K in KernelName]: (args: Kernels<DataArray>[K]['args']) => Kernels<DataArray>[K]['result'] };
/** The CPU backend's fused kernels (all optional ones heed defines). */
export type CpuFusedKernels = {
  [K in FusedKernelName]?: (args: FusedKernels<DataArray>[K]['args']) => FusedKernels<DataArray>[K]['result'];
};

const jsKernels: CpuKernels = {
  contiguous: ({ x, dtype }) => readView(x, dtype),
  fill: ({ shape, dtype, value }) => {
    const out = allocate(dtype, sizeOf(shape));
    if (value !== 0) out.fill(value);
    return out;
  },
  unary: ({ op, x }) => unaryKernel(op, x),
  binary: ({ op, a, b, shape }) => binaryKernel(op, a, b, shape),
  where: ({ condition, a, b, shape }) => whereKernel(condition, a, b, shape),
  reduce: ({ op, x, axis }) => reduceKernel(op, x, axis),
  matmul: ({ a, b }) => matmulKernel(a, b),
  softmax: ({ x, log }) => softmaxKernel(x, log),
  gather: ({ x, axis, index }) => gatherKernel(x, axis, index),
  scatterAdd: ({ shape, axis, index, source }) => scatterAddKernel(shape, axis, index, source),
  concat: ({ inputs, axis, shape }) => concatKernel(inputs, axis, shape),
};

const jsFusedKernels: CpuFusedKernels = {
  attentionForward: attentionForwardKernel,
  attentionBackward: attentionBackwardKernel,
  lstmSequence: lstmSequenceKernel,
  gruSequence: gruSequenceKernel,
  rnnSequence: rnnSequenceKernel,
};

/** Options of {@link cpuBackend}. */
export interface CpuBackendOptions {
  /**
   * Threads that run kernels, the calling one included: a number, or `'auto'` (the default: the
   * machine's logical processors, at most 16). Needs shared memory (in browsers, a
   * cross-origin-isolated page); otherwise one thread runs, and `info.reason` says why.
   */
  threads?: number | 'auto';
  /** `false` runs the plain JavaScript kernels (the reference path). Default: WebAssembly SIMD where the engine has it. */
  simd?: boolean;
  /** `false` avoids relaxed SIMD's fused multiply-add even where available. Default: use it. */
  relaxedSimd?: boolean;
}

/** What a CPU backend runs on, and why (see {@link cpuBackend}). */
export interface CpuBackendInfo {
  /** `'wasm-simd'`: WebAssembly 128-bit SIMD kernels; `'js'`: the plain JavaScript kernels. */
  readonly kernels: 'wasm-simd' | 'js';
  /** Threads that run kernels, the calling one included. */
  readonly threads: number;
  /** Whether matmul and attention use fused multiply-add (relaxed SIMD). */
  readonly relaxedSimd: boolean;
  /** Why the backend runs slower than asked (no SIMD, no shared memory, …), or null. */
  readonly reason: string | null;
  /** What the engine supports. */
  readonly features: WasmFeatures;
}

/** The CPU backend: a {@link Backend} over typed arrays, plus what it runs on and a way to stop its threads. */
export interface CpuBackend extends Backend<DataArray> {
  readonly info: CpuBackendInfo;
  /** Stops the worker threads (shared by every CPU backend with the same thread count); they restart when needed. */
  close(): Promise<void>;
}

function makeBackend(plan: CpuPlan): CpuBackend {
  let kernels = jsKernels;
  let fused = jsFusedKernels;
  let info: CpuBackendInfo = plan;
  let close = () => Promise.resolve();
  if (plan.kernels === 'wasm-simd') {
    try {
      const runtime = acquireRuntime(plan);
      const wasm = wasmKernels(runtime);
      kernels = { ...jsKernels, ...wasm.kernels };
      fused = { ...jsFusedKernels, ...wasm.fused };
      close = () => runtime.close();
    } catch (error) {
      info = { ...plan, kernels: 'js', threads: 1, relaxedSimd: false, reason: `the WebAssembly kernels failed to start (${String(error)}); running the plain JS kernels` };
    }
  }
  return {
    name: 'cpu',
    specVersion: 1,
    info: Object.freeze({ ...info }),
    upload: (data) => data,
    read: (handle, _dtype, size) => Promise.resolve(handle.slice(0, size)),
    readSync: (handle, _dtype, size) => handle.slice(0, size),
    dispose: () => undefined,
    run<K extends KernelName>(kernel: K, args: Kernels<DataArray>[K]['args']): Kernels<DataArray>[K]['result'] {
      const implementation = kernels[kernel] as ((args: Kernels<DataArray>[K]['args']) => Kernels<DataArray>[K]['result']) | undefined;
      if (!implementation) throw new BackendError(kernel, `the cpu backend has no kernel named ${String(kernel)}`);
      return implementation(args);
    },
    runFused<K extends FusedKernelName>(kernel: K, args: FusedKernels<DataArray>[K]['args']): FusedKernels<DataArray>[K]['result'] {
      const implementation = fused[kernel];
      if (!implementation) throw new BackendError(kernel, `the cpu backend has no fused kernel named ${String(kernel)}`);
      return implementation(args);
    },
    supports: (kernel) => fused[kernel] !== undefined,
    close,
  };
}

/**
 * The CPU backend, synchronous and the default. By default its heavy kernels (matmul, softmax,
 * fused attention, the fused LSTM and GRU sweeps) run as WebAssembly 128-bit SIMD on a pool of worker threads
 * over shared memory; where the engine lacks SIMD or shared memory it falls back to one thread
 * and to the plain JavaScript kernels, and `info` says so. Results never depend on the thread
 * count: work is split so that every element is computed in the same order.
 *
 * In a browser's main thread, large modules cannot compile synchronously: use
 * {@link createCpuBackend} there. Worker threads never keep Node alive; `close()` stops them.
 *
 * @param options - `threads` (number or `'auto'`), `simd: false` for the plain JS kernels.
 * @example
 * ```ts
 * import { cpuBackend, setBackend } from '@heed/tensor';
 * const backend = cpuBackend({ threads: 2 });
 * console.log(backend.info); // { kernels: 'wasm-simd', threads: 2, reason: null, … }
 * setBackend(backend);
 * ```
 */
export function cpuBackend(options: CpuBackendOptions = {}): CpuBackend {
  return makeBackend(planCpu(options));
}

/**
 * {@link cpuBackend}, compiling the WebAssembly kernels asynchronously first: the way to get
 * the fast path on a browser's main thread, where synchronous compilation is refused.
 *
 * @example
 * ```ts
 * setBackend(await createCpuBackend());
 * ```
 */
export async function createCpuBackend(options: CpuBackendOptions = {}): Promise<CpuBackend> {
  const plan = planCpu(options);
  await precompile(plan);
  return makeBackend(plan);
}
