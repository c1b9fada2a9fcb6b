import type { DType, DataArray, View } from '../backend.js';
import { sizeOf, type Shape } from '../shape.js';

/** Allocates a zeroed host array for `size` elements of `dtype`. */
export function allocate(dtype: DType, size: number): DataArray {
  if (dtype === 'float32') return new Float32Array(size);
  if (dtype === 'int32') return new Int32Array(size);
  return new Uint8Array(size);
}

/** True when the view reads `size` consecutive elements starting at its offset. */
export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let expected = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const size = shape[axis];
    if (size !== 1 && strides[axis] !== expected) return false;
    expected *= size;
  }
  return true;
}

/**
 * The storage offset of every element of a strided view, in row-major order. One allocation per
 * call, no per-element allocation; the innermost axis runs as a plain loop.
 */
export function elementOffsets(shape: Shape, strides: readonly number[], offset: number): Int32Array {
  const size = sizeOf(shape);
  const result = new Int32Array(size);
  if (size === 0) return result;
  const rank = shape.length;
  if (rank === 0) {
    result[0] = offset;
    return result;
  }
  const inner = shape[rank - 1];
  const innerStride = strides[rank - 1];
  const counter = new Array<number>(rank).fill(0);
  let base = offset;
  for (let start = 0; start < size; start += inner) {
    for (let index = 0; index < inner; index++) result[start + index] = base + index * innerStride;
    for (let axis = rank - 2; axis >= 0; axis--) {
      counter[axis]++;
      base += strides[axis];
      if (counter[axis] < shape[axis]) break;
      base -= strides[axis] * shape[axis];
      counter[axis] = 0;
    }
  }
  return result;
}

/** Reads a view into a fresh row-major array of `dtype` (a copy, never the view's own storage). */
export function readView(view: View<DataArray>, dtype: DType = view.dtype): DataArray {
  const size = sizeOf(view.shape);
  const out = allocate(dtype, size);
  const source = view.handle;
  if (isContiguous(view.shape, view.strides)) {
    if (dtype === view.dtype) {
      out.set(source.subarray(view.offset, view.offset + size));
    } else {
      for (let index = 0; index < size; index++) out[index] = source[view.offset + index]!;
    }
  } else if (dtype === view.dtype && view.shape.length > 1 && view.strides[view.shape.length - 1] === 1 && view.shape[view.shape.length - 1] >= 16) {
    copyRows(view, out);
  } else {
    const offsets = elementOffsets(view.shape, view.strides, view.offset);
    for (let index = 0; index < size; index++) out[index] = source[offsets[index]]!;
  }
  if (dtype === 'bool' && view.dtype !== 'bool') for (let index = 0; index < size; index++) out[index] = out[index] ? 1 : 0;
  return out;
}

/**
 * Copies a view whose innermost axis is contiguous (stride 1) row by row into `out`: the case of
 * slices along the last axis, such as the query, key and value thirds of a fused projection. One
 * block copy per row instead of an offsets table and a gather.
 */
function copyRows(view: View<DataArray>, out: DataArray): void {
  const { shape, strides, handle: source } = view;
  const rank = shape.length;
  const inner = shape[rank - 1];
  const size = out.length;
  const counter = new Array<number>(rank - 1).fill(0);
  let base = view.offset;
  for (let start = 0; start < size; start += inner) {
    out.set(source.subarray(base, base + inner), start);
    for (let axis = rank - 2; axis >= 0; axis--) {
      counter[axis]++;
      base += strides[axis];
      if (counter[axis] < shape[axis]) break;
      base -= strides[axis] * shape[axis];
      counter[axis] = 0;
    }
  }
}

/**
 * A view's elements as a row-major array, without copying when the view already is one
 * (the returned array must then be treated as read-only).
 */
export function contiguousData(view: View<DataArray>): DataArray {
  const size = sizeOf(view.shape);
  if (isContiguous(view.shape, view.strides)) {
    return view.offset === 0 && view.handle.length === size
      ? view.handle
      : view.handle.subarray(view.offset, view.offset + size);
  }
  return readView(view);
}

/** `shape` as [outer, size of `axis`, inner]: the blocks an axis-wise kernel loops over. */
export function axisBlocks(shape: Shape, axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}
