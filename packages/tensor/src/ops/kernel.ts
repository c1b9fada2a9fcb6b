import type { Backend, DType, KernelName, Kernels } from '../backend.js';
import { BackendError } from '../errors.js';
import type { Shape } from '../shape.js';
import { Tensor } from '../tensor.js';

/** The backend shared by `tensors`, or a `BackendError` naming the op when they differ. */
export function backendOf(op: string, tensors: readonly Tensor[]): Backend {
  const backend = tensors[0].backend;
  for (const tensor of tensors) {
    if (tensor.backend !== backend) {
      throw new BackendError(op, `inputs live on different backends (${backend.name} and ${tensor.backend.name}); move one with tensor.to(backend)`);
    }
  }
  return backend;
}

/** Runs a kernel on `backend` and wraps its handle as a tensor of `shape` and `dtype`. */
export function runKernel<K extends KernelName>(
  backend: Backend,
  kernel: K,
  args: Kernels<unknown>[K]['args'],
  shape: Shape,
  dtype: DType,
): Tensor {
  return Tensor.fromHandle(backend, backend.run(kernel, args), shape, dtype);
}
