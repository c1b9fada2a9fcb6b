import type { ModuleBuilder } from './builder.js';
import { addAttentionBackward } from './attention-backward.js';
import { addAttentionForward } from './attention-forward.js';
import { addGemm } from './gemm.js';
import { addRecurrentSweeps } from './recurrent.js';
import { addRecurrentBackward } from './recurrent-backward.js';
import { addSoftmax } from './softmax.js';

/** The chunk runners the kernel module exports, in the order the thread pool indexes them. */
export const chunkRunnerNames = ['gemmChunk', 'gemmPackB', 'gemmPackPanels', 'attentionForwardChunk', 'attentionBackwardKeysChunk', 'attentionBackwardQueriesChunk', 'lstmChunk', 'gruChunk', 'rnnTanhChunk', 'rnnReluChunk', 'softmaxChunk', 'lstmBackwardStepChunk', 'lstmBackwardCarryChunk', 'gruBackwardStepChunk', 'rnnBackwardStepChunk'] as const;
/**
 * A chunk runner's export name: the WebAssembly functions that compute a slice of a backend
 * kernel's work (backend kernels themselves are `KernelName`/`FusedKernelName` in backend.ts).
 */
export type ChunkRunnerName = (typeof chunkRunnerNames)[number];

/** What the module is built for. */
export interface KernelOptions {
  /** Use relaxed SIMD's fused multiply-add. */
  relaxed: boolean;
  /** Shared memory and worker threads (kernels may use atomics and barriers). */
  threads: boolean;
}

/** Adds every kernel to `module`; returns the exported chunk runners' names. */
export function addKernels(module: ModuleBuilder, options: KernelOptions): readonly ChunkRunnerName[] {
  const gemm = addGemm(module, options.relaxed);
  addAttentionForward(module, gemm, options.relaxed);
  addAttentionBackward(module, gemm, options.relaxed);
  addRecurrentSweeps(module, gemm, options.threads, options.relaxed);
  addSoftmax(module, options.relaxed);
  addRecurrentBackward(module);
  return chunkRunnerNames;
}
