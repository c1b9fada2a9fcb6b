/**
 * The computation behind the backend switch: the same attention, softmax(QKᵀ/√D)·V, on every
 * backend this page can start (heed's CPU backend with JavaScript or WebAssembly SIMD kernels,
 * and @heed/gpu's WebGPU, WebGL2, WebGL, WebAssembly and CPU modes), timed, and checked against
 * the plain JavaScript CPU result. A backend that cannot start reports why.
 */
import { scaledDotProductAttention } from '@heed/attention';
import { createGpuBackend, type GpuModeName } from '@heed/gpu';
import { Generator, cpuBackend, createCpuBackend, randn, type Backend, type Tensor } from '@heed/tensor';

export interface BackendCandidate {
  readonly id: string;
  /** What it is, in words. */
  readonly label: string;
  /** Starts the backend, or throws with the reason it cannot run here. */
  readonly start: () => Promise<{ backend: Backend; detail: string; close: () => Promise<void> }>;
}

const gpuModes: readonly [GpuModeName, string][] = [
  ['webgpu', 'WebGPU (gpu.js)'],
  ['webgl2', 'WebGL2 (gpu.js)'],
  ['webgl', 'WebGL 1 (gpu.js)'],
  ['webasm', 'WebAssembly (gpu.js)'],
  ['cpu', 'CPU (gpu.js)'],
];

/** Every backend the demo tries, fastest-sounding last so the reference runs first. */
export const backendCandidates: readonly BackendCandidate[] = [
  {
    id: 'cpu-js',
    label: 'CPU, JavaScript kernels (@heed/tensor)',
    start: () => {
      const backend = cpuBackend({ simd: false, threads: 1 });
      return Promise.resolve({ backend, detail: 'reference', close: () => backend.close() });
    },
  },
  {
    id: 'cpu-wasm',
    label: 'CPU, WebAssembly SIMD kernels (@heed/tensor)',
    start: async () => {
      const backend = await createCpuBackend({ simd: true });
      if (backend.info.kernels !== 'wasm-simd') {
        await backend.close();
        throw new Error(backend.info.reason ?? 'this engine has no WebAssembly SIMD');
      }
      return { backend, detail: `${backend.info.threads} thread${backend.info.threads === 1 ? '' : 's'}${backend.info.reason ? ` (${backend.info.reason})` : ''}`, close: () => backend.close() };
    },
  },
  ...gpuModes.map(([mode, label]): BackendCandidate => ({
    id: `gpu-${mode}`,
    label: `${label} (@heed/gpu)`,
    start: async () => {
      const backend = await createGpuBackend({ mode, webgpu: { allowSoftwareAdapter: true } });
      return { backend, detail: backend.adapter ?? backend.mode, close: () => backend.destroy() };
    },
  })),
];

export interface BackendRun {
  readonly id: string;
  readonly label: string;
  readonly available: boolean;
  /** Why the backend could not run (when unavailable), or what it ran on. */
  readonly detail: string;
  /** Median of the timed runs, in ms (after one untimed warm-up that compiles kernels). */
  readonly milliseconds: number | null;
  /** Largest |difference| from the JavaScript CPU backend's output. */
  readonly maxDifference: number | null;
}

export interface AttentionWorkload {
  readonly length: number;
  readonly width: number;
  readonly heads: number;
  readonly repeats?: number;
}

function inputs(workload: AttentionWorkload): Tensor[] {
  const generator = new Generator(0);
  const shape = [1, workload.heads, workload.length, workload.width];
  return [randn(shape, { generator }), randn(shape, { generator }), randn(shape, { generator })];
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs the workload on one candidate. Never throws: a backend that fails to start or to run
 * comes back unavailable, with the reason.
 */
export async function runOnBackend(candidate: BackendCandidate, workload: AttentionWorkload, reference: Float32Array | null): Promise<BackendRun & { output: Float32Array | null }> {
  let started: Awaited<ReturnType<BackendCandidate['start']>>;
  try {
    started = await candidate.start();
  } catch (error) {
    return { id: candidate.id, label: candidate.label, available: false, detail: message(error), milliseconds: null, maxDifference: null, output: null };
  }
  try {
    const [query, key, value] = inputs(workload).map((x) => x.to(started.backend)) as [Tensor, Tensor, Tensor];
    const once = async (): Promise<Float32Array> => Float32Array.from(await scaledDotProductAttention(query, key, value).data());
    let output = await once(); // warm-up: compiles kernels
    const times: number[] = [];
    for (let run = 0; run < (workload.repeats ?? 3); run++) {
      const begin = performance.now();
      output = await once();
      times.push(performance.now() - begin);
    }
    times.sort((a, b) => a - b);
    let maxDifference = 0;
    if (reference) for (let i = 0; i < output.length; i++) maxDifference = Math.max(maxDifference, Math.abs((output[i] ?? 0) - (reference[i] ?? 0)));
    return {
      id: candidate.id,
      label: candidate.label,
      available: true,
      detail: started.detail,
      milliseconds: times[Math.floor(times.length / 2)] ?? null,
      maxDifference: reference ? maxDifference : 0,
      output,
    };
  } catch (error) {
    return { id: candidate.id, label: candidate.label, available: false, detail: `failed while running: ${message(error)}`, milliseconds: null, maxDifference: null, output: null };
  } finally {
    await started.close().catch(() => undefined);
  }
}
