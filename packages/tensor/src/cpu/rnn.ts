import type { DataArray, FusedKernels } from '../backend.js';
import { sweepInputs } from './lstm.js';

type RnnArgs = FusedKernels<DataArray>['rnnSequence']['args'];

/**
 * The reference Elman RNN sweep (plain loops, float64 accumulation per unit), PyTorch's cell:
 * `h' = act(projected[t] + W_hh h + b_hh)` with `act` tanh or relu, in the sweep's direction;
 * padded steps keep the state and leave their output rows zero.
 *
 * @example
 * ```ts
 * const { output, hidden } = rnnSequenceKernel({ projected, weightHidden, biasHidden: null, hidden: h0, lengths: null, reverse: false, batchFirst: false, nonlinearity: 'tanh' });
 * ```
 */
export function rnnSequenceKernel(args: RnnArgs): { output: Float32Array; hidden: Float32Array } {
  const { steps, batch, size, projected, weight, bias, h, lengths } = sweepInputs(args, 1);
  const relu = args.nonlinearity === 'relu';
  const output = new Float32Array(steps * batch * size);
  const next = new Float32Array(size);
  for (let s = 0; s < steps; s++) {
    const t = args.reverse ? steps - 1 - s : s;
    for (let b = 0; b < batch; b++) {
      if (t >= lengths[b]) continue;
      const x = (t * batch + b) * size;
      const state = b * size;
      const row = args.batchFirst ? b * steps + t : t * batch + b;
      for (let k = 0; k < size; k++) {
        let total = bias[k];
        for (let j = 0; j < size; j++) total += h[state + j] * weight[k * size + j];
        total += projected[x + k];
        next[k] = relu ? Math.max(total, 0) : Math.tanh(total);
        output[row * size + k] = next[k];
      }
      h.set(next, state);
    }
  }
  return { output, hidden: h };
}
