import { ValueError, type Tensor } from '@heed/tensor';
import type { RecurrentResult } from './recurrent.js';
import { RNNBase, type RecurrentForwardOptions, type RecurrentLayerOptions } from './rnn-base.js';

/** Options of {@link RNN}. */
export interface RNNOptions extends RecurrentLayerOptions {
  /** The activation: `tanh` (default) or `relu`. */
  nonlinearity?: 'tanh' | 'relu';
}

/**
 * A multi-layer Elman RNN, PyTorch's `nn.RNN`: `h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)`
 * per layer, with `act` = tanh or relu; bidirectional, batch-first, dropout between layers,
 * initial states, and variable-length batches.
 *
 * Legend: `T` time steps, `B` batch, `I` input size, `H` hidden size, `dirs` 1 or 2.
 *
 * @example
 * ```ts
 * const rnn = new RNN(8, 16, { numLayers: 2 }); // batch-first: [B, T, I]
 * const { output, hN } = rnn.forward(randn([4, 10, 8]), { lengths: [10, 7, 7, 3] });
 * output.shape; // [4, 10, 16]
 * hN.shape;     // [2, 4, 16]
 * ```
 */
export class RNN extends RNNBase {
  /** The activation function. */
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const nonlinearity = options.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
      throw new ValueError('RNN', 'nonlinearity', `must be 'tanh' or 'relu', got ${String(nonlinearity)}`);
    }
    super(nonlinearity === 'relu' ? 'rnn_relu' : 'rnn_tanh', inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
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
