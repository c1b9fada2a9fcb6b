// Host-array helpers for the recurrent sweeps: matrix products on a CPU backend's kernels (the
// WebAssembly SIMD ones where the engine has them), a transpose, and a stable sigmoid.
import { cpuBackend, type Backend, type View } from '@heed/tensor';

let sharedCpu: Backend | null = null;

/**
 * The backend that multiplies host Float32Arrays: `backend` itself when it is a CPU backend
 * (whose handles are Float32Arrays), otherwise one CPU backend shared by all sweeps.
 */
export function hostBackend(backend: Backend): Backend {
  if (backend.name === 'cpu') return backend;
  sharedCpu ??= cpuBackend();
  return sharedCpu;
}

/** A host matrix: `rows × columns` elements, row-major, or stored transposed (`columns × rows`). */
export interface HostMatrix {
  data: Float32Array;
  rows: number;
  columns: number;
  /** The array holds the transpose, [columns, rows] row-major. */
  transposed?: boolean;
}

function viewOf(matrix: HostMatrix): View {
  const { data, rows, columns, transposed } = matrix;
  return {
    handle: data,
    dtype: 'float32',
    shape: [1, rows, columns],
    strides: transposed ? [0, 1, rows] : [0, columns, 1],
    offset: 0,
  };
}

/** `left · right` as a new row-major Float32Array [left.rows, right.columns], on `backend`'s matmul kernel. */
export function hostMatmul(backend: Backend, left: HostMatrix, right: HostMatrix): Float32Array {
  return backend.run('matmul', { a: viewOf(left), b: viewOf(right) }) as Float32Array;
}

/**
 * `Σ_r left[r, ·]ᵀ right[r, ·]` over `rows` rows, [J, K] for `left` [rows, J] and `right`
 * [rows, K]: the gradient of a weight from output gradients and inputs. Runs in blocks of rows
 * so that no single product stages more than a few megabytes.
 */
export function hostOuterSum(backend: Backend, left: Float32Array, right: Float32Array, rows: number, leftWidth: number, rightWidth: number): Float32Array {
  const block = Math.max(64, Math.floor((1 << 21) / Math.max(leftWidth, rightWidth)));
  let total: Float32Array | null = null;
  for (let start = 0; start < rows; start += block) {
    const count = Math.min(block, rows - start);
    const part = hostMatmul(
      backend,
      { data: left.subarray(start * leftWidth, (start + count) * leftWidth), rows: leftWidth, columns: count, transposed: true },
      { data: right.subarray(start * rightWidth, (start + count) * rightWidth), rows: count, columns: rightWidth },
    );
    if (total === null) total = part;
    else for (let index = 0; index < part.length; index++) total[index] += part[index];
  }
  return total ?? new Float32Array(leftWidth * rightWidth);
}

/** `matrix` [rows, columns] transposed into a new [columns, rows] array. */
export function transposed(matrix: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(rows * columns);
  for (let j = 0; j < rows; j++) {
    const source = j * columns;
    for (let k = 0; k < columns; k++) out[k * rows + j] = matrix[source + k];
  }
  return out;
}

/** The logistic sigmoid, `1 / (1 + e^-x)`, without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
