import type { DataArray, ReduceOp, View } from '../backend.js';
import { sizeOf, type Shape } from '../shape.js';
import { allocate, contiguousData } from './strided.js';

function split(shape: Shape, axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

/** Reduces one axis of a view. `argmax`/`argmin` break ties towards the lowest index. */
export function reduceKernel(op: ReduceOp, x: View<DataArray>, axis: number): DataArray {
  const data = contiguousData(x);
  const [outer, length, inner] = split(x.shape, axis);
  const isIndex = op === 'argmax' || op === 'argmin';
  const out = allocate(isIndex ? 'int32' : 'float32', outer * inner);
  for (let o = 0; o < outer; o++) {
    const base = o * length * inner;
    for (let i = 0; i < inner; i++) {
      const start = base + i;
      if (op === 'sum') {
        let total = 0;
        for (let r = 0; r < length; r++) total += data[start + r * inner];
        out[o * inner + i] = total;
        continue;
      }
      const wantMax = op === 'max' || op === 'argmax';
      let best = length > 0 ? data[start] : wantMax ? -Infinity : Infinity;
      let bestIndex = 0;
      for (let r = 1; r < length; r++) {
        const value = data[start + r * inner];
        if (Number.isNaN(best)) break;
        if ((wantMax ? value > best : value < best) || Number.isNaN(value)) {
          best = value;
          bestIndex = r;
        }
      }
      out[o * inner + i] = isIndex ? bestIndex : best;
    }
  }
  return out;
}

/** Softmax (or log-softmax) over the last axis. A row that is all -Infinity gives zeros (log: -Infinity). */
export function softmaxKernel(x: View<DataArray>, log: boolean): Float32Array {
  const data = contiguousData(x);
  const size = data.length;
  const columns = x.shape.length === 0 ? 1 : x.shape[x.shape.length - 1];
  const out = new Float32Array(size);
  if (columns === 0) return out;
  for (let start = 0; start < size; start += columns) {
    let max = -Infinity;
    for (let j = 0; j < columns; j++) max = Math.max(max, data[start + j]);
    if (max === -Infinity) {
      out.fill(log ? -Infinity : 0, start, start + columns);
      continue;
    }
    let total = 0;
    for (let j = 0; j < columns; j++) total += Math.exp(data[start + j] - max);
    if (log) {
      const logTotal = Math.log(total) + max;
      for (let j = 0; j < columns; j++) out[start + j] = data[start + j] - logTotal;
    } else {
      const inverse = 1 / total;
      for (let j = 0; j < columns; j++) out[start + j] = Math.exp(data[start + j] - max) * inverse;
    }
  }
  return out;
}

/** PyTorch's gather along `axis` (index has x's shape except along `axis`). */
export function gatherKernel(x: View<DataArray>, axis: number, index: View<DataArray>): DataArray {
  const data = contiguousData(x);
  const indices = contiguousData(index);
  const [outer, length, inner] = split(x.shape, axis);
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
  const [outer, length, inner] = split(shape, axis);
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
