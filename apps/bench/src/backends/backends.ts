/**
 * The backends the speed suite can run on: heed's CPU backend and every gpu.js mode that
 * `@heed/gpu` can start here. A mode that cannot start is reported with the reason it gave.
 */
import { cpuBackend, getBackend, type Backend } from '@heed/tensor';
import type * as HeedGpu from '@heed/gpu';
import type { AllocationCounter } from '../harness/memory.js';
import { GPU_MODE_NAMES } from '../cli/args.js';
import { countingBackend } from './counting-backend.js';

/** A backend to measure on, or why it is unavailable. */
export interface BenchBackend {
  name: string;
  backend: Backend | null;
  reason?: string;
  /** Release device resources when done. */
  release(): Promise<void>;
  /** Waits for queued device work (WebGPU); immediate elsewhere. */
  flush(): Promise<void>;
  /** Counts the bytes its kernels allocate (host-memory backends only). */
  counter: AllocationCounter | null;
}

/** gpu.js modes in the order @heed/gpu prefers them. */
export const GPU_MODES = GPU_MODE_NAMES;

/** Expands `--backend` values (`cpu`, `gpu`, `gpu:<mode>`, `all`) into backend names (`cpu`, `gpu:webasm`, …). */
export function expandBackendNames(requested: readonly string[]): string[] {
  const names: string[] = [];
  for (const entry of requested) {
    if (entry === 'all') names.push('cpu', ...GPU_MODES.map((mode) => `gpu:${mode}`));
    else if (entry === 'gpu') names.push(...GPU_MODES.map((mode) => `gpu:${mode}`));
    else names.push(entry);
  }
  return [...new Set(names)];
}

function message(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

/** Starts the backend called `name`; never throws (an unavailable one carries its reason). */
export async function openBackend(name: string): Promise<BenchBackend> {
  const immediate = (): Promise<void> => Promise.resolve();
  if (name === 'cpu') {
    // The process's CPU backend (its WebAssembly kernels and thread pool are already up), counted.
    const current = getBackend();
    const counted = countingBackend(current.name === 'cpu' ? current : cpuBackend());
    return { name, backend: counted.backend, release: immediate, flush: immediate, counter: counted };
  }
  const mode = name.slice('gpu:'.length);
  let gpu: typeof HeedGpu;
  try {
    gpu = await import('@heed/gpu');
  } catch (error) {
    return { name, backend: null, reason: `@heed/gpu did not load: ${message(error)}`, release: immediate, flush: immediate, counter: null };
  }
  if (!(gpu.gpuModes as readonly string[]).includes(mode)) {
    return { name, backend: null, reason: `@heed/gpu has no mode "${mode}"`, release: immediate, flush: immediate, counter: null };
  }
  try {
    const backend = await gpu.createGpuBackend({ mode: mode as (typeof gpu.gpuModes)[number] });
    return {
      name,
      backend,
      release: () => backend.destroy(),
      flush: () => backend.flush(),
      counter: null,
    };
  } catch (error) {
    return { name, backend: null, reason: message(error), release: immediate, flush: immediate, counter: null };
  }
}
