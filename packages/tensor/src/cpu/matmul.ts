import type { DataArray, View } from '../backend.js';
import { readView } from './strided.js';

const ROW_BLOCK = 4;
const COLUMN_BLOCK = 256;
const DEPTH_BLOCK = 128;

/**
 * `C[M, N] += A[M, K] · B[K, N]` on row-major Float32Arrays at the given offsets: cache-blocked
 * over columns and depth, four rows of A at a time so each loaded element of B feeds four sums.
 */
export function gemm(
  a: Float32Array,
  aOffset: number,
  b: Float32Array,
  bOffset: number,
  c: Float32Array,
  cOffset: number,
  m: number,
  k: number,
  n: number,
): void {
  for (let j0 = 0; j0 < n; j0 += COLUMN_BLOCK) {
    const j1 = Math.min(n, j0 + COLUMN_BLOCK);
    for (let k0 = 0; k0 < k; k0 += DEPTH_BLOCK) {
      const k1 = Math.min(k, k0 + DEPTH_BLOCK);
      let i = 0;
      for (; i + ROW_BLOCK <= m; i += ROW_BLOCK) {
        const a0 = aOffset + i * k;
        const a1 = a0 + k;
        const a2 = a1 + k;
        const a3 = a2 + k;
        const c0 = cOffset + i * n;
        const c1 = c0 + n;
        const c2 = c1 + n;
        const c3 = c2 + n;
        for (let p = k0; p < k1; p++) {
          const x0 = a[a0 + p];
          const x1 = a[a1 + p];
          const x2 = a[a2 + p];
          const x3 = a[a3 + p];
          const row = bOffset + p * n;
          for (let j = j0; j < j1; j++) {
            const y = b[row + j];
            c[c0 + j] += x0 * y;
            c[c1 + j] += x1 * y;
            c[c2 + j] += x2 * y;
            c[c3 + j] += x3 * y;
          }
        }
      }
      for (; i < m; i++) {
        const a0 = aOffset + i * k;
        const c0 = cOffset + i * n;
        for (let p = k0; p < k1; p++) {
          const x0 = a[a0 + p];
          if (x0 === 0) continue;
          const row = bOffset + p * n;
          for (let j = j0; j < j1; j++) c[c0 + j] += x0 * b[row + j];
        }
      }
    }
  }
}

/** A batch of row-major matrices: element (batch, i, j) is at `offset + batch * batchStride + i * columns + j`. */
interface DenseBatches {
  data: Float32Array;
  offset: number;
  batchStride: number;
}

function denseBatches(view: View<DataArray>): DenseBatches {
  const [batches, rows, columns] = view.shape as [number, number, number];
  const [batchStride, rowStride, columnStride] = view.strides as [number, number, number];
  if ((columnStride === 1 || columns === 1) && (rowStride === columns || rows === 1)) {
    return { data: view.handle as Float32Array, offset: view.offset, batchStride };
  }
  if (batchStride === 0 || batches === 1) {
    const one = readView({ ...view, shape: [rows, columns], strides: [rowStride, columnStride] }) as Float32Array;
    return { data: one, offset: 0, batchStride: 0 };
  }
  return { data: readView(view) as Float32Array, offset: 0, batchStride: rows * columns };
}

/** Batched matmul kernel: `a` [B, M, K] · `b` [B, K, N] → [B, M, N] (batch strides may be 0). */
export function matmulKernel(a: View<DataArray>, b: View<DataArray>): Float32Array {
  const [batches, m, k] = a.shape as [number, number, number];
  const n = b.shape[2];
  const out = new Float32Array(batches * m * n);
  const left = denseBatches(a);
  const right = denseBatches(b);
  for (let batch = 0; batch < batches; batch++) {
    gemm(
      left.data,
      left.offset + batch * left.batchStride,
      right.data,
      right.offset + batch * right.batchStride,
      out,
      batch * m * n,
      m,
      k,
      n,
    );
  }
  return out;
}
