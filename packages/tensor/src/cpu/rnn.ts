import type { DataArray, FusedKernels } from '../backend.js';
import { sweepInputs, sweepSteps } from './lstm.js';

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
  const inputs = sweepInputs(args, 1);
  const { steps, batch, size, projected, h } = inputs;
  const relu = args.nonlinearity === 'relu';
  const output = new Float32Array(steps * batch * size);
  const hiddenPart = new Float64Array(size);
  const next = new Float32Array(size);
  sweepSteps(args, inputs, hiddenPart, (x, state, row) => {
    for (let k = 0; k < size; k++) {
      const total = hiddenPart[k] + projected[x + k];
      next[k] = relu ? Math.max(total, 0) : Math.tanh(total);
      output[row * size + k] = next[k];
    }
    h.set(next, state);
  });
  return { output, hidden: h };
}
