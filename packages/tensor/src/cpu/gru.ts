import type { DataArray, FusedKernels } from '../backend.js';
import { sigmoid, sweepInputs, sweepSteps } from './lstm.js';

type GruArgs = FusedKernels<DataArray>['gruSequence']['args'];

/**
 * The reference GRU sweep (plain loops, float64 accumulation per gate), PyTorch's cell:
 * r, z = σ(x_{r,z} + W_h{r,z} h + b_h{r,z}); n = tanh(x_n + r ∘ (W_hn h + b_hn)); h' = n + z ∘ (h − n).
 */
export function gruSequenceKernel(args: GruArgs): { output: Float32Array; hidden: Float32Array; gates: Float32Array | null } {
  const inputs = sweepInputs(args, 3);
  const { steps, batch, width, size, projected, h } = inputs;
  const output = new Float32Array(steps * batch * size);
  const gates = args.saveForBackward ? new Float32Array(steps * batch * 4 * size) : null;
  const hiddenPart = new Float64Array(width);
  const next = new Float32Array(size);
  sweepSteps(args, inputs, hiddenPart, (x, state, row) => {
    for (let j = 0; j < size; j++) {
      const r = sigmoid(projected[x + j] + hiddenPart[j]);
      const z = sigmoid(projected[x + size + j] + hiddenPart[size + j]);
      const n = Math.tanh(projected[x + 2 * size + j] + r * hiddenPart[2 * size + j]);
      next[j] = n + z * (h[state + j] - n);
      output[row * size + j] = next[j];
      if (gates) {
        gates[row * 4 * size + j] = r;
        gates[row * 4 * size + size + j] = z;
        gates[row * 4 * size + 2 * size + j] = n;
        gates[row * 4 * size + 3 * size + j] = hiddenPart[2 * size + j];
      }
    }
    h.set(next, state);
  });
  return { output, hidden: h, gates };
}
