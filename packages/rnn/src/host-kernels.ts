// Float32Array kernels for the recurrent sweeps: the per-step products with `weight_hh` and the
// accumulation of its gradient. Rows are addressed through an index list, so padded sequences
// (inactive rows) cost nothing. Sums run in doubles (JavaScript numbers) and are stored as float32.

/**
 * `output[row, j] = bias[j] + Σ_k input[row, k] · matrix[j, k]` for each `row` in `rows[0..count)`.
 * `matrix` is [J, K] row-major; input rows start at `row · K`, output rows at `row · J`.
 * Dot-product form, four rows at a time, so each matrix element loaded feeds four sums.
 */
export function multiplyRowsTransposed(
  matrix: Float32Array,
  rowsOut: number,
  depth: number,
  bias: Float32Array | null,
  input: Float32Array,
  output: Float32Array,
  rows: Int32Array,
  count: number,
): void {
  let index = 0;
  for (; index + 4 <= count; index += 4) {
    const in0 = rows[index] * depth;
    const in1 = rows[index + 1] * depth;
    const in2 = rows[index + 2] * depth;
    const in3 = rows[index + 3] * depth;
    const out0 = rows[index] * rowsOut;
    const out1 = rows[index + 1] * rowsOut;
    const out2 = rows[index + 2] * rowsOut;
    const out3 = rows[index + 3] * rowsOut;
    for (let j = 0; j < rowsOut; j++) {
      const base = bias === null ? 0 : bias[j];
      let sum0 = base;
      let sum1 = base;
      let sum2 = base;
      let sum3 = base;
      const m = j * depth;
      for (let k = 0; k < depth; k++) {
        const weight = matrix[m + k];
        sum0 += input[in0 + k] * weight;
        sum1 += input[in1 + k] * weight;
        sum2 += input[in2 + k] * weight;
        sum3 += input[in3 + k] * weight;
      }
      output[out0 + j] = sum0;
      output[out1 + j] = sum1;
      output[out2 + j] = sum2;
      output[out3 + j] = sum3;
    }
  }
  for (; index < count; index++) {
    const in0 = rows[index] * depth;
    const out0 = rows[index] * rowsOut;
    let j = 0;
    for (; j + 4 <= rowsOut; j += 4) {
      let sum0 = bias === null ? 0 : bias[j];
      let sum1 = bias === null ? 0 : bias[j + 1];
      let sum2 = bias === null ? 0 : bias[j + 2];
      let sum3 = bias === null ? 0 : bias[j + 3];
      const m0 = j * depth;
      const m1 = m0 + depth;
      const m2 = m1 + depth;
      const m3 = m2 + depth;
      for (let k = 0; k < depth; k++) {
        const value = input[in0 + k];
        sum0 += value * matrix[m0 + k];
        sum1 += value * matrix[m1 + k];
        sum2 += value * matrix[m2 + k];
        sum3 += value * matrix[m3 + k];
      }
      output[out0 + j] = sum0;
      output[out0 + j + 1] = sum1;
      output[out0 + j + 2] = sum2;
      output[out0 + j + 3] = sum3;
    }
    for (; j < rowsOut; j++) {
      let sum = bias === null ? 0 : bias[j];
      const m = j * depth;
      for (let k = 0; k < depth; k++) sum += input[in0 + k] * matrix[m + k];
      output[out0 + j] = sum;
    }
  }
}

/**
 * `target[j, k] += Σ_row left[row, j] · right[row, k]` over `rows[0..count)`: the gradient of a
 * weight from a batch of output gradients (`left`, rows of J) and inputs (`right`, rows of K).
 */
export function addOuterProducts(
  target: Float32Array,
  rowsOut: number,
  depth: number,
  left: Float32Array,
  right: Float32Array,
  rows: Int32Array,
  count: number,
): void {
  let index = 0;
  for (; index + 4 <= count; index += 4) {
    const l0 = rows[index] * rowsOut;
    const l1 = rows[index + 1] * rowsOut;
    const l2 = rows[index + 2] * rowsOut;
    const l3 = rows[index + 3] * rowsOut;
    const r0 = rows[index] * depth;
    const r1 = rows[index + 1] * depth;
    const r2 = rows[index + 2] * depth;
    const r3 = rows[index + 3] * depth;
    for (let j = 0; j < rowsOut; j++) {
      const a0 = left[l0 + j];
      const a1 = left[l1 + j];
      const a2 = left[l2 + j];
      const a3 = left[l3 + j];
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
      const t = j * depth;
      for (let k = 0; k < depth; k++) {
        target[t + k] += a0 * right[r0 + k] + a1 * right[r1 + k] + a2 * right[r2 + k] + a3 * right[r3 + k];
      }
    }
  }
  for (; index < count; index++) {
    const l0 = rows[index] * rowsOut;
    const r0 = rows[index] * depth;
    for (let j = 0; j < rowsOut; j++) {
      const a0 = left[l0 + j];
      if (a0 === 0) continue;
      const t = j * depth;
      for (let k = 0; k < depth; k++) target[t + k] += a0 * right[r0 + k];
    }
  }
}

/** `matrix` [J, K] transposed into a new [K, J] array. */
export function transposed(matrix: Float32Array, rowsIn: number, columns: number): Float32Array {
  const out = new Float32Array(rowsIn * columns);
  for (let j = 0; j < rowsIn; j++) {
    const source = j * columns;
    for (let k = 0; k < columns; k++) out[k * rowsIn + j] = matrix[source + k];
  }
  return out;
}

/** The logistic sigmoid, `1 / (1 + e^-x)`, without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
