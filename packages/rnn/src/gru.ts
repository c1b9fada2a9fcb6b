import type { Tensor } from '@heed/tensor';
import type { RecurrentResult } from './recurrent.js';
import { RNNBase, type RecurrentForwardOptions, type RecurrentLayerOptions } from './rnn-base.js';

/**
 * A multi-layer gated recurrent unit, PyTorch's `nn.GRU` (gates r, z, n; see {@link GRUCell}),
 * bidirectional, batch-first, with dropout between layers, initial states, and variable-length
 * batches.
 *
 * Legend: `T` time steps, `B` batch, `I` input size, `H` hidden size, `dirs` 1 or 2.
 *
 * @example
 * ```ts
 * const gru = new GRU(32, 64, { bidirectional: true });
 * const { output, hN } = gru.forward(x, { lengths }); // x [B, T, 32]
 * output.shape; // [B, T, 128]
 * hN.shape;     // [2, B, 64]: forward and reverse final states
 * ```
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentLayerOptions = {}) {
    super('gru', inputSize, hiddenSize, options);
  }

  /**
   * Runs the whole sequence.
   * @param input - [B, T, I] ([T, B, I] with `batchFirst: false`), or unbatched [T, I]
   * @param options - `h0` [layers·dirs, B, H] and per-sequence `lengths`
   * @returns `output` [B, T, dirs·H] (or [T, B, dirs·H] with `batchFirst: false`) and `hN` [layers·dirs, B, H]
   */
  forward(input: Tensor, options: RecurrentForwardOptions = {}): RecurrentResult & { cN: null } {
    return { ...this.run(input, options.h0, null, options.lengths), cN: null };
  }
}
