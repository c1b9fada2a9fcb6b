import type { DataArray, FusedKernels } from '../backend.js';
import { sigmoid, sweepInputs } from './lstm.js';

type GruArgs = FusedKernels<DataArray>['gruSequence']['args'];

/**
 * The reference GRU sweep (plain loops, float64 accumulation per gate), PyTorch's cell:
 * r, z = σ(x_{r,z} + W_h{r,z} h + b_h{r,z}); n = tanh(x_n + r ∘ (W_hn h + b_hn)); h' = n + z ∘ (h − n).
 */
export function gruSequenceKernel(args: GruArgs): { output: Float32Array; hidden: Float32Array; gates: Float32Array | null } {
  const { steps, batch, width, size, projected, weight, bias, h, lengths } = sweepInputs(args, 3);
  const output = new Float32Array(steps * batch * size);
  const gates = args.saveForBackward ? new Float32Array(steps * batch * 4 * size) : null;
  const hiddenPart = new Float64Array(width);
  const next = new Float32Array(size);
  for (let s = 0; s < steps; s++) {
    const t = args.reverse ? steps - 1 - s : s;
    for (let b = 0; b < batch; b++) {
      if (t >= lengths[b]) continue;
      const x = (t * batch + b) * width;
      const state = b * size;
      for (let k = 0; k < width; k++) {
        let total = bias[k];
        for (let j = 0; j < size; j++) total += h[state + j] * weight[k * size + j];
        hiddenPart[k] = total;
      }
      const row = args.batchFirst ? b * steps + t : t * batch + b;
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
    }
  }
  return { output, hidden: h, gates };
}
