import type { DataArray, View } from '../backend.js';
import { contiguousData } from './strided.js';

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
