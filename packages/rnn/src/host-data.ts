import { Tensor, type Backend } from '@heed/tensor';

/**
 * The row-major elements of a float32 tensor as a Float32Array, without a copy when the tensor
 * lives on the CPU backend (whose handles are Float32Arrays) and is contiguous; a copy otherwise.
 * The result must never be written to: it may be the tensor's own storage.
 */
export function readHost(tensor: Tensor): Float32Array {
  const view = tensor.view;
  if (tensor.backend.name === 'cpu' && tensor.isContiguous && view.handle instanceof Float32Array) {
    return view.handle.subarray(tensor.offset, tensor.offset + tensor.size);
  }
  return Float32Array.from(tensor.dataSync());
}

/** Wraps a host Float32Array (handed over, never written again) as a tensor on `backend`. */
export function fromHost(data: Float32Array, shape: readonly number[], backend: Backend): Tensor {
  return Tensor.fromData(data, shape, 'float32', backend);
}
