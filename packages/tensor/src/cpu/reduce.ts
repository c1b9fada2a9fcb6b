import type { DataArray, ReduceOp, View } from '../backend.js';
import { allocate, axisBlocks, contiguousData } from './strided.js';

/** Reduces one axis of a view. `argmax`/`argmin` break ties towards the lowest index. */
export function reduceKernel(op: ReduceOp, x: View<DataArray>, axis: number): DataArray {
  const data = contiguousData(x);
  const [outer, length, inner] = axisBlocks(x.shape, axis);
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
