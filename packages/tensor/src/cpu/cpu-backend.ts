import type { Backend, DataArray, FusedKernelName, FusedKernels, KernelName, Kernels } from '../backend.js';
import { BackendError } from '../errors.js';
import { sizeOf } from '../shape.js';
import { attentionBackwardKernel, attentionForwardKernel } from './attention.js';
import { binaryKernel, unaryKernel, whereKernel } from './elementwise.js';
import { matmulKernel } from './matmul.js';
import { concatKernel, gatherKernel, reduceKernel, scatterAddKernel, softmaxKernel } from './reduce.js';
import { allocate, readView } from './strided.js';

type CpuKernels = { [K in KernelName]: (args: Kernels<DataArray>[K]['args']) => Kernels<DataArray>[K]['result'] };
type CpuFusedKernels = {
  [K in FusedKernelName]: (args: FusedKernels<DataArray>[K]['args']) => FusedKernels<DataArray>[K]['result'];
};

const kernels: CpuKernels = {
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

const fusedKernels: CpuFusedKernels = {
  attentionForward: attentionForwardKernel,
  attentionBackward: attentionBackwardKernel,
};

/**
 * The CPU backend: plain JavaScript kernels over typed arrays, synchronous, and the default.
 * Handles are the typed arrays themselves.
 *
 * @example
 * ```ts
 * import { cpuBackend, setBackend } from '@heed/tensor';
 * setBackend(cpuBackend());
 * ```
 */
export function cpuBackend(): Backend<DataArray> {
  return {
    name: 'cpu',
    specVersion: 1,
    upload: (data) => data,
    read: (handle, _dtype, size) => Promise.resolve(handle.slice(0, size)),
    readSync: (handle, _dtype, size) => handle.slice(0, size),
    dispose: () => undefined,
    run<K extends KernelName>(kernel: K, args: Kernels<DataArray>[K]['args']): Kernels<DataArray>[K]['result'] {
      const implementation = kernels[kernel] as ((args: Kernels<DataArray>[K]['args']) => Kernels<DataArray>[K]['result']) | undefined;
      if (!implementation) throw new BackendError(kernel, `the cpu backend has no kernel named ${String(kernel)}`);
      return implementation(args);
    },
    runFused<K extends FusedKernelName>(
      kernel: K,
      args: FusedKernels<DataArray>[K]['args'],
    ): FusedKernels<DataArray>[K]['result'] {
      const implementation = fusedKernels[kernel] as (
        args: FusedKernels<DataArray>[K]['args'],
      ) => FusedKernels<DataArray>[K]['result'];
      return implementation(args);
    },
    supports: (kernel) => kernel in fusedKernels,
  };
}
