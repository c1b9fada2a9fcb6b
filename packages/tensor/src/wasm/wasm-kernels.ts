import type { CpuFusedKernels, CpuKernels } from '../cpu/cpu-backend.js';
import { matmulKernel } from '../cpu/matmul.js';
import { softmaxKernel } from '../cpu/softmax.js';
import type { WasmRuntime } from './runtime.js';
import { wasmAttentionForward } from './wasm-attention.js';
import { wasmAttentionBackward } from './wasm-attention-backward.js';
import { wasmGruSequence, wasmLstmSequence, wasmRnnSequence } from './wasm-recurrent.js';
import { wasmMatmul } from './wasm-matmul.js';
import { wasmSoftmax } from './wasm-softmax.js';

/** Multiply-adds below which the plain JS matmul is faster than copying into wasm memory. */
const WASM_MATMUL_WORK = 4096;
/** Elements below which the plain JS softmax is faster. */
const WASM_SOFTMAX_SIZE = 256;

/** The kernels the WebAssembly runtime replaces; the rest stay the plain JS ones. */
export function wasmKernels(runtime: WasmRuntime): { kernels: Partial<CpuKernels>; fused: CpuFusedKernels } {
  return {
    kernels: {
      matmul: ({ a, b }) => {
        const [, m, k] = a.shape as [number, number, number];
        return m * k * b.shape[2] < WASM_MATMUL_WORK ? matmulKernel(a, b) : wasmMatmul(runtime, a, b);
      },
      softmax: ({ x, log }) => (x.shape.reduce((product, size) => product * size, 1) < WASM_SOFTMAX_SIZE ? softmaxKernel(x, log) : wasmSoftmax(runtime, x, log)),
    },
    fused: {
      attentionForward: (args) => wasmAttentionForward(runtime, args),
      attentionBackward: (args) => wasmAttentionBackward(runtime, args),
      lstmSequence: (args) => wasmLstmSequence(runtime, args),
      gruSequence: (args) => wasmGruSequence(runtime, args),
      rnnSequence: (args) => wasmRnnSequence(runtime, args),
    },
  };
}
