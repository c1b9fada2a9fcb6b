// The reference backward kernels of the fused recurrent sweeps (backpropagation through time in
// plain loops): `lstmSequenceBackward`, `gruSequenceBackward`, `rnnSequenceBackward`. Per step,
// the gate derivatives of every real row, then one matrix product with W_hh for all sequences;
// the gradient of W_hh is one product over all steps at the end. The products run on a matmul
// kernel the caller chooses (the plain JS one, or the WebAssembly one on the SIMD backend).
import type { DataArray, FusedKernels, RecurrentSweepBackwardArgs, View } from '../backend.js';
import { sequenceLengths } from './lstm.js';
import { matmulKernel } from './matmul.js';
import { contiguousData } from './strided.js';

/** A batched matrix product over host views (the `matmul` kernel's contract). */
export type HostMatmul = (a: View<DataArray>, b: View<DataArray>) => Float32Array;

type Backward<K extends 'lstmSequenceBackward' | 'gruSequenceBackward' | 'rnnSequenceBackward'> = FusedKernels<DataArray>[K];
type Mode = 'lstm' | 'gru' | 'tanh' | 'relu';

const matrix = (data: Float32Array, rows: number, columns: number, transposed = false): View<DataArray> => ({
  handle: data,
  dtype: 'float32',
  shape: [1, rows, columns],
  strides: transposed ? [0, 1, rows] : [0, columns, 1],
  offset: 0,
});

/**
 * `Σ_r left[r, ·]ᵀ right[r, ·]` over `rows` rows: [J, K] for `left` [rows, J] and `right`
 * [rows, K], in blocks of rows so that no single product stages more than a few megabytes.
 */
export function outerSum(matmul: HostMatmul, left: Float32Array, right: Float32Array, rows: number, leftWidth: number, rightWidth: number): Float32Array {
  const block = Math.max(64, Math.floor((1 << 21) / Math.max(leftWidth, rightWidth)));
  let total: Float32Array | null = null;
  for (let start = 0; start < rows; start += block) {
    const count = Math.min(block, rows - start);
    const part = matmul(
      matrix(left.subarray(start * leftWidth, (start + count) * leftWidth), leftWidth, count, true),
      matrix(right.subarray(start * rightWidth, (start + count) * rightWidth), count, rightWidth),
    );
    if (total === null) total = part;
    else for (let index = 0; index < part.length; index++) total[index] += part[index];
  }
  return total ?? new Float32Array(leftWidth * rightWidth);
}

/** The gradients every backward returns (`gradCell` only for LSTMs). */
interface Gradients {
  gradProjected: Float32Array;
  gradHidden: Float32Array;
  gradCell: Float32Array | null;
  gradWeightHidden: Float32Array | null;
  gradBiasHidden: Float32Array | null;
}

const read = (view: View<DataArray> | null): Float32Array | null => (view ? (contiguousData(view) as Float32Array) : null);

/** Backpropagation through time shared by the three cells. */
function sweepBackward(
  mode: Mode,
  args: RecurrentSweepBackwardArgs<DataArray>,
  saved: { gates: Float32Array | null; cells: Float32Array | null; c0: Float32Array | null; gradCN: Float32Array | null },
  matmul: HostMatmul,
): Gradients {
  const { steps, reverse, batchFirst } = args;
  const [width, size] = args.weightHidden.shape as [number, number];
  const batch = args.hidden.shape[0];
  const h0 = read(args.hidden)!;
  const output = read(args.output)!;
  const gradOutput = read(args.gradOutput);
  const { gates, cells, c0 } = saved;
  const lengths = sequenceLengths(args.lengths, batch, steps);
  const rowOf = (t: number, b: number): number => (batchFirst ? b * steps + t : t * batch + b);
  const totalRows = steps * batch;
  const gradProjected = new Float32Array(totalRows * width);
  // The gradient of `W_hh h + b_hh` differs from that of `projected` only for a GRU's n gate.
  const gradHiddenPart = mode === 'gru' ? new Float32Array(totalRows * width) : gradProjected;
  // The state each real step started from (zero rows at padded steps), for W_hh's gradient.
  const previous = args.needWeightGradients ? new Float32Array(totalRows * size) : null;
  const dh = args.gradHidden ? Float32Array.from(read(args.gradHidden)!) : new Float32Array(batch * size);
  const dc = mode === 'lstm' ? (saved.gradCN ? Float32Array.from(saved.gradCN) : new Float32Array(batch * size)) : null;
  const direct = mode === 'gru' ? new Float32Array(batch * size) : null;
  const stepGrad = new Float32Array(batch * width);
  const weight = matrix(read(args.weightHidden)!, width, size);
  const rows = new Int32Array(batch);
  for (let s = steps - 1; s >= 0; s--) {
    const t = reverse ? steps - 1 - s : s;
    let count = 0;
    for (let b = 0; b < batch; b++) if (t < lengths[b]) rows[count++] = b;
    if (count === 0) continue;
    for (let index = 0; index < count; index++) {
      const b = rows[index];
      const row = rowOf(t, b);
      const first = reverse ? t === lengths[b] - 1 : t === 0;
      const previousRow = first ? -1 : rowOf(reverse ? t + 1 : t - 1, b);
      const hSource = first ? h0 : output;
      const hOffset = first ? b * size : previousRow * size;
      if (previous !== null) previous.set(hSource.subarray(hOffset, hOffset + size), row * size);
      const state = b * size;
      const out = row * size;
      const part = b * width;
      for (let j = 0; j < size; j++) {
        const grad = dh[state + j] + (gradOutput === null ? 0 : gradOutput[out + j]);
        if (mode === 'lstm') {
          const saved4 = row * 4 * size;
          const i = gates![saved4 + j];
          const f = gates![saved4 + size + j];
          const g = gates![saved4 + 2 * size + j];
          const o = gates![saved4 + 3 * size + j];
          // h = o · tanh(c) was saved as the output: dividing it back out is exact to rounding
          // and far cheaper than Math.tanh; tiny o falls back.
          const tanhCell = o > 1e-3 ? output[out + j] / o : Math.tanh(cells![out + j]);
          const cellPrevious = first ? (c0 === null ? 0 : c0[state + j]) : cells![previousRow * size + j];
          const gradCell = dc![state + j] + grad * o * (1 - tanhCell * tanhCell);
          stepGrad[part + j] = gradCell * g * i * (1 - i);
          stepGrad[part + size + j] = gradCell * cellPrevious * f * (1 - f);
          stepGrad[part + 2 * size + j] = gradCell * i * (1 - g * g);
          stepGrad[part + 3 * size + j] = grad * tanhCell * o * (1 - o);
          dc![state + j] = gradCell * f;
        } else if (mode === 'gru') {
          const saved4 = row * 4 * size;
          const r = gates![saved4 + j];
          const z = gates![saved4 + size + j];
          const n = gates![saved4 + 2 * size + j];
          const hiddenN = gates![saved4 + 3 * size + j];
          const gradN = grad * (1 - z) * (1 - n * n);
          stepGrad[part + j] = gradN * hiddenN * r * (1 - r);
          stepGrad[part + size + j] = grad * (hSource[hOffset + j] - n) * z * (1 - z);
          stepGrad[part + 2 * size + j] = gradN;
          direct![state + j] = grad * z;
        } else {
          const value = output[out + j];
          stepGrad[part + j] = mode === 'relu' ? (value > 0 ? grad : 0) : grad * (1 - value * value);
        }
      }
      gradProjected.set(stepGrad.subarray(part, part + width), row * width);
      if (mode === 'gru') {
        const x = row * width;
        for (let j = 0; j < size; j++) {
          gradHiddenPart[x + j] = stepGrad[part + j];
          gradHiddenPart[x + size + j] = stepGrad[part + size + j];
          stepGrad[part + 2 * size + j] *= gates![row * 4 * size + j];
          gradHiddenPart[x + 2 * size + j] = stepGrad[part + 2 * size + j];
        }
      }
    }
    // d/dh of W_hh h for every sequence (rows of finished ones are computed and ignored).
    const stepHidden = matmul(matrix(stepGrad, batch, width), weight);
    for (let index = 0; index < count; index++) {
      const state = rows[index] * size;
      for (let j = 0; j < size; j++) dh[state + j] = stepHidden[state + j] + (direct === null ? 0 : direct[state + j]);
    }
  }
  let gradWeightHidden: Float32Array | null = null;
  let gradBiasHidden: Float32Array | null = null;
  if (previous !== null) {
    gradWeightHidden = outerSum(matmul, gradHiddenPart, previous, totalRows, width, size);
    gradBiasHidden = new Float32Array(width);
    for (let row = 0; row < totalRows; row++) {
      const x = row * width;
      for (let j = 0; j < width; j++) gradBiasHidden[j] += gradHiddenPart[x + j];
    }
  }
  return { gradProjected, gradHidden: dh, gradCell: dc, gradWeightHidden, gradBiasHidden };
}

/**
 * The reference LSTM backward through time (`lstmSequenceBackward`'s contract), products on
 * `matmul` (the plain JS kernel by default).
 *
 * @example
 * ```ts
 * const { gradProjected, gradHidden, gradCell } = lstmSequenceBackwardKernel({ ...forwardArgs, steps, output, gates, cells, gradOutput, gradHidden: null, gradCell: null, needWeightGradients: true });
 * ```
 */
export function lstmSequenceBackwardKernel(args: Backward<'lstmSequenceBackward'>['args'], matmul: HostMatmul = matmulKernel): Backward<'lstmSequenceBackward'>['result'] {
  const saved = { gates: read(args.gates), cells: read(args.cells), c0: read(args.cell), gradCN: read(args.gradCell) };
  const { gradCell, ...rest } = sweepBackward('lstm', args, saved, matmul);
  return { ...rest, gradCell: gradCell! };
}

/** The reference GRU backward through time (`gruSequenceBackward`'s contract). */
export function gruSequenceBackwardKernel(args: Backward<'gruSequenceBackward'>['args'], matmul: HostMatmul = matmulKernel): Backward<'gruSequenceBackward'>['result'] {
  const { gradCell: _none, ...rest } = sweepBackward('gru', args, { gates: read(args.gates), cells: null, c0: null, gradCN: null }, matmul);
  return rest;
}

/** The reference Elman RNN backward through time (`rnnSequenceBackward`'s contract). */
export function rnnSequenceBackwardKernel(args: Backward<'rnnSequenceBackward'>['args'], matmul: HostMatmul = matmulKernel): Backward<'rnnSequenceBackward'>['result'] {
  const { gradCell: _none, ...rest } = sweepBackward(args.nonlinearity, args, { gates: null, cells: null, c0: null, gradCN: null }, matmul);
  return rest;
}
