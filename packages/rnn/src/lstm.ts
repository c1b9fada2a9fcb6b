import type { Tensor } from '@heed/tensor';
import type { RecurrentResult } from './recurrent.js';
import { RNNBase, type RecurrentForwardOptions, type RecurrentLayerOptions } from './rnn-base.js';

/** Arguments of {@link LSTM.forward} besides the input. */
export interface LSTMForwardOptions extends RecurrentForwardOptions {
  /** Initial cell state [layers·dirs, B, H] (zeros when absent). */
  c0?: Tensor | null;
}

/**
 * A multi-layer long short-term memory, PyTorch's `nn.LSTM` (gates i, f, g, o; see
 * {@link LSTMCell}), bidirectional, batch-first, with dropout between layers, initial states, and
 * variable-length batches. Loads a PyTorch `nn.LSTM` state dict as it is.
 *
 * Legend: `T` time steps, `B` batch, `I` input size, `H` hidden size, `dirs` 1 or 2.
 *
 * @example
 * ```ts
 * const lstm = new LSTM(10, 20, { numLayers: 2 });
 * lstm.loadStateDict(loadSafetensors(bytes)); // saved from torch.nn.LSTM(10, 20, num_layers=2)
 * const { output, hN, cN } = lstm.forward(randn([5, 3, 10]), { h0, c0 }); // [B, T, I]; h0, c0 [2, 5, 20]
 * output.shape; // [5, 3, 20]
 * ```
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentLayerOptions = {}) {
    super('lstm', inputSize, hiddenSize, options);
  }

  /**
   * Runs the whole sequence.
   * @param input - [B, T, I] ([T, B, I] with `batchFirst: false`), or unbatched [T, I]
   * @param options - `h0` and `c0` [layers·dirs, B, H], and per-sequence `lengths`
   * @returns `output` [B, T, dirs·H] (or [T, B, dirs·H] with `batchFirst: false`), `hN` and `cN` [layers·dirs, B, H]
   */
  forward(input: Tensor, options: LSTMForwardOptions = {}): RecurrentResult & { cN: Tensor } {
    const result = this.run(input, options.h0, options.c0, options.lengths);
    return { ...result, cN: result.cN! };
  }
}
