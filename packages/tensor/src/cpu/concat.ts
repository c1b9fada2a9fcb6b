import type { DataArray, View } from '../backend.js';
import { sizeOf, type Shape } from '../shape.js';
import { allocate, contiguousData } from './strided.js';

/** Joins views along `axis`. */
export function concatKernel(inputs: readonly View<DataArray>[], axis: number, shape: Shape): DataArray {
  const out = allocate(inputs[0].dtype, sizeOf(shape));
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const outRow = shape[axis] * inner;
  let position = 0;
  for (const input of inputs) {
    const data = contiguousData(input);
    const chunk = input.shape[axis] * inner;
    for (let o = 0; o < outer; o++) out.set(data.subarray(o * chunk, (o + 1) * chunk), o * outRow + position);
    position += chunk;
  }
  return out;
}
