import type { Tensor } from '@heed/tensor';
import type { RecurrentResult } from './recurrent.js';
import { RNNBase, type RecurrentForwardOptions, type RecurrentLayerOptions } from './rnn-base.js';

/** Options of {@link LSTM}: the shared layer options plus PyTorch's `proj_size`. */
export interface LSTMOptions extends RecurrentLayerOptions {
  /**
   * Projection size P (PyTorch's `proj_size`, default 0 = none), an integer with 0 ≤ P < H. With
   * P > 0 each layer and direction gets `weight_hr_l{k}` [P, H] and `h_t = W_hr (o_t ⊙ tanh(c_t))`:
   * `weight_hh_l{k}` is [4H, P], the output [B, T, dirs·P], `h0`/`hN` [layers·dirs, B, P], and the
   * cell state keeps H. Projected LSTMs run op by op (the `composed` implementation), since the
   * fused CPU kernels have no projection.
   */
  projSize?: number;
}

/** Arguments of {@link LSTM.forward} besides the input. */
export interface LSTMForwardOptions extends RecurrentForwardOptions {
  /** Initial cell state [layers·dirs, B, H] (zeros when absent; H even with `projSize`). */
  c0?: Tensor | null;
}

/**
 * A multi-layer long short-term memory, PyTorch's `nn.LSTM` (gates i, f, g, o; see
 * {@link LSTMCell}), bidirectional, batch-first, with dropout between layers, initial states, and
 * variable-length batches, and projections (`projSize`). Loads a PyTorch `nn.LSTM` state dict as
 * it is.
 *
 * Legend: `T` time steps, `B` batch, `I` input size, `H` hidden size, `P` projection size
 * (`projSize`; the width of h is P when it is set, else H), `dirs` 1 or 2.
 *
 * @example
 * ```ts
 * const lstm = new LSTM(10, 20, { numLayers: 2 });
 * lstm.loadStateDict(loadSafetensors(bytes)); // saved from torch.nn.LSTM(10, 20, num_layers=2)
 * const { output, hN, cN } = lstm.forward(randn([5, 3, 10]), { h0, c0 }); // [B, T, I]; h0, c0 [2, 5, 20]
 * output.shape; // [5, 3, 20]
 *
 * const projected = new LSTM(10, 20, { projSize: 8 }); // torch.nn.LSTM(10, 20, proj_size=8)
 * projected.forward(randn([5, 3, 10])).hN.shape; // [1, 5, 8]; cN is [1, 5, 20]
 * ```
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: LSTMOptions = {}) {
    super('lstm', inputSize, hiddenSize, options);
  }

  /**
   * Runs the whole sequence.
   * @param input - [B, T, I] ([T, B, I] with `batchFirst: false`), or unbatched [T, I]
   * @param options - `h0` [layers·dirs, B, H] (P with `projSize`), `c0` [layers·dirs, B, H], and per-sequence `lengths`
   * @returns `output` [B, T, dirs·H] (or [T, B, dirs·H] with `batchFirst: false`), `hN` and `cN` [layers·dirs, B, H]; with `projSize` the output is dirs·P wide and `hN` [layers·dirs, B, P]
   */
  forward(input: Tensor, options: LSTMForwardOptions = {}): RecurrentResult & { cN: Tensor } {
    const result = this.run(input, options.h0, options.c0, options.lengths);
    return { ...result, cN: result.cN! };
  }
}
