import type { DataArray, FusedKernels } from '../backend.js';
import { contiguousData, readView } from './strided.js';

type LstmArgs = FusedKernels<DataArray>['lstmSequence']['args'];
type LstmResult = { output: Float32Array; hidden: Float32Array; cell: Float32Array; gates: Float32Array | null; cells: Float32Array | null };

/** The logistic sigmoid without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Checks the lengths of a fused recurrent call (1 ≤ length ≤ T), returning them as an Int32Array. */
export function sequenceLengths(lengths: readonly number[] | null, batch: number, steps: number): Int32Array {
  const result = new Int32Array(batch).fill(steps);
  if (lengths) for (let b = 0; b < batch; b++) result[b] = Math.max(0, Math.min(steps, lengths[b]));
  return result;
}

/** What both reference sweeps read from their arguments: sizes, inputs as dense arrays, lengths. */
export function sweepInputs(
  args: Pick<LstmArgs, 'projected' | 'weightHidden' | 'biasHidden' | 'hidden' | 'lengths'>,
  gateBlocks: number,
): { steps: number; batch: number; width: number; size: number; projected: Float32Array; weight: Float32Array; bias: Float32Array; h: Float32Array; lengths: Int32Array } {
  const [steps, batch, width] = args.projected.shape as [number, number, number];
  return {
    steps,
    batch,
    width,
    size: width / gateBlocks,
    projected: readView(args.projected) as Float32Array,
    weight: contiguousData(args.weightHidden) as Float32Array,
    bias: args.biasHidden ? (contiguousData(args.biasHidden) as Float32Array) : new Float32Array(width),
    h: readView(args.hidden) as Float32Array,
    lengths: sequenceLengths(args.lengths, batch, steps),
  };
}

/**
 * The step loop every reference sweep shares: for each real step of each sequence, in the
 * sweep's direction, fills `hiddenPart` with `b_hh + h · W_hhᵀ` (float64) and calls `step` with
 * the step's offset `x` in `projected`, the sequence's offset `state` in `h` and its result `row`
 * (`t * B + b`, or `b * T + t` when batch-first). `step` updates `h` itself.
 */
export function sweepSteps(
  args: Pick<LstmArgs, 'reverse' | 'batchFirst'>,
  inputs: ReturnType<typeof sweepInputs>,
  hiddenPart: Float64Array,
  step: (x: number, state: number, row: number) => void,
): void {
  const { steps, batch, width, size, weight, bias, h, lengths } = inputs;
  for (let s = 0; s < steps; s++) {
    const t = args.reverse ? steps - 1 - s : s;
    for (let b = 0; b < batch; b++) {
      if (t >= lengths[b]) continue;
      const state = b * size;
      for (let k = 0; k < width; k++) {
        let total = bias[k];
        const row = k * size;
        for (let j = 0; j < size; j++) total += h[state + j] * weight[row + j];
        hiddenPart[k] = total;
      }
      step((t * batch + b) * width, state, args.batchFirst ? b * steps + t : t * batch + b);
    }
  }
}

/**
 * The reference LSTM sweep (plain loops, float64 accumulation per gate): for each step, in the
 * sweep's direction, `gates = projected[t] + h · W_hhᵀ + b_hh`, then PyTorch's cell update.
 */
export function lstmSequenceKernel(args: LstmArgs): LstmResult {
  const inputs = sweepInputs(args, 4);
  const { steps, batch, width, size, projected, h } = inputs;
  const c = readView(args.cell) as Float32Array;
  const output = new Float32Array(steps * batch * size);
  const gates = args.saveForBackward ? new Float32Array(steps * batch * width) : null;
  const cells = args.saveForBackward ? new Float32Array(steps * batch * size) : null;
  const pre = new Float64Array(width);
  const next = new Float32Array(size);
  sweepSteps(args, inputs, pre, (x, state, row) => {
    for (let k = 0; k < width; k++) pre[k] += projected[x + k];
    for (let j = 0; j < size; j++) {
      const i = sigmoid(pre[j]);
      const f = sigmoid(pre[size + j]);
      const g = Math.tanh(pre[2 * size + j]);
      const o = sigmoid(pre[3 * size + j]);
      const cell = f * c[state + j] + i * g;
      c[state + j] = cell;
      next[j] = o * Math.tanh(cell);
      output[row * size + j] = next[j];
      if (gates && cells) {
        gates[row * width + j] = i;
        gates[row * width + size + j] = f;
        gates[row * width + 2 * size + j] = g;
        gates[row * width + 3 * size + j] = o;
        cells[row * size + j] = cell;
      }
    }
    h.set(next, state);
  });
  return { output, hidden: h, cell: c, gates, cells };
}
