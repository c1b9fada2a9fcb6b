import { wasmFeatures, type WasmFeatures } from './features.js';
import { WasmRuntime, kernelModuleBytes } from './runtime.js';

/** Where the CPU backend's kernels run, after checking what the engine allows. */
export interface CpuPlan {
  kernels: 'wasm-simd' | 'js';
  threads: number;
  relaxedSimd: boolean;
  /** Why this plan is slower than the one asked for, or null when it is the one asked for. */
  reason: string | null;
  features: WasmFeatures;
}

/** The largest thread count `threads: 'auto'` picks. */
const AUTO_THREAD_LIMIT = 16;

/** Decides the kernels and thread count for the options asked for. */
export function planCpu(options: { threads?: number | 'auto'; simd?: boolean; relaxedSimd?: boolean }): CpuPlan {
  const features = wasmFeatures();
  const wanted = options.threads === undefined || options.threads === 'auto' ? Math.min(AUTO_THREAD_LIMIT, features.hardwareThreads) : options.threads;
  if (options.simd === false) return { kernels: 'js', threads: 1, relaxedSimd: false, reason: wanted > 1 ? 'simd: false was asked for; the plain JS kernels run on one thread' : null, features };
  if (!features.simd) return { kernels: 'js', threads: 1, relaxedSimd: false, reason: 'this engine has no WebAssembly SIMD; the plain JS kernels run on one thread', features };
  const relaxedSimd = options.relaxedSimd !== false && features.relaxedSimd;
  if (wanted <= 1) return { kernels: 'wasm-simd', threads: 1, relaxedSimd, reason: null, features };
  if (!features.sharedMemory) {
    const why = typeof SharedArrayBuffer === 'undefined'
      ? 'SharedArrayBuffer is unavailable (browsers need cross-origin isolation: COOP/COEP headers)'
      : 'shared WebAssembly memory is unavailable';
    return { kernels: 'wasm-simd', threads: 1, relaxedSimd, reason: `${why}; running on one thread`, features };
  }
  if (!features.workers) return { kernels: 'wasm-simd', threads: 1, relaxedSimd, reason: 'no worker threads in this environment; running on one thread', features };
  return { kernels: 'wasm-simd', threads: wanted, relaxedSimd, reason: null, features };
}

const runtimes = new Map<string, WasmRuntime>();
const compiled = new Map<string, WebAssembly.Module>();
const runtimeKey = (plan: CpuPlan) => `${plan.threads}:${plan.relaxedSimd}`;

/**
 * Compiles the plan's kernel module asynchronously, so {@link acquireRuntime} need not compile
 * synchronously (browsers refuse synchronous compilation of larger modules on the main thread).
 */
export async function precompile(plan: CpuPlan): Promise<void> {
  const key = runtimeKey(plan);
  if (plan.kernels !== 'wasm-simd' || runtimes.has(key) || compiled.has(key)) return;
  compiled.set(key, await WebAssembly.compile(kernelModuleBytes({ threads: plan.threads, relaxed: plan.relaxedSimd })));
}

/**
 * The process-wide runtime for a plan (one module instance, memory and worker pool per thread
 * count), created on first use. Backends with the same plan share it: compiling the module and
 * starting workers is paid once.
 */
export function acquireRuntime(plan: CpuPlan): WasmRuntime {
  const key = runtimeKey(plan);
  let runtime = runtimes.get(key);
  if (!runtime) {
    runtime = new WasmRuntime({ threads: plan.threads, relaxed: plan.relaxedSimd }, compiled.get(key));
    runtimes.set(key, runtime);
  }
  return runtime;
}

/** Stops the worker threads of every runtime (they start again on the next parallel kernel). */
export async function stopAllWorkers(): Promise<void> {
  await Promise.all([...runtimes.values()].map((runtime) => runtime.close()));
}
