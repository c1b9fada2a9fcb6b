import type { DataArray, View } from '../backend.js';
import type { Shape } from '../shape.js';
import { allocate, axisBlocks, contiguousData } from './strided.js';

/** PyTorch's gather along `axis` (index has x's shape except along `axis`). */
export function gatherKernel(x: View<DataArray>, axis: number, index: View<DataArray>): DataArray {
  const data = contiguousData(x);
  const indices = contiguousData(index);
  const [outer, length, inner] = axisBlocks(x.shape, axis);
  const picked = index.shape[axis];
  const out = allocate(x.dtype, outer * picked * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < picked; j++) {
      const row = (o * picked + j) * inner;
      for (let i = 0; i < inner; i++) {
        out[row + i] = data[(o * length + indices[row + i]) * inner + i]!;
      }
    }
  }
  return out;
}

/** Zeros of `shape` plus `source` added at `index` along `axis` (the adjoint of gather). */
export function scatterAddKernel(shape: Shape, axis: number, index: View<DataArray>, source: View<DataArray>): Float32Array {
  const indices = contiguousData(index);
  const values = contiguousData(source);
  const [outer, length, inner] = axisBlocks(shape, axis);
  const picked = index.shape[axis];
  const out = new Float32Array(outer * length * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < picked; j++) {
      const row = (o * picked + j) * inner;
      for (let i = 0; i < inner; i++) out[(o * length + indices[row + i]) * inner + i] += values[row + i];
    }
  }
  return out;
}
