import { ValueError, type Tensor } from '@heed/tensor';
import { RecurrentCellBase, type CellOptions } from './cell-base.js';

/** Options of {@link RNNCell}. */
export interface RNNCellOptions extends CellOptions {
  /** The activation: `tanh` (default) or `relu`. */
  nonlinearity?: 'tanh' | 'relu';
}

/**
 * An Elman RNN cell, PyTorch's `nn.RNNCell`: `h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)` with
 * `act` = tanh or relu. Parameters `weight_ih` [H, I], `weight_hh` [H, H], `bias_ih`, `bias_hh` [H].
 *
 * Legend: `B` batch, `I` input size, `H` hidden size.
 *
 * @example
 * ```ts
 * const cell = new RNNCell(10, 20, { nonlinearity: 'relu' });
 * let h = zeros([3, 20]);
 * for (const x of steps) h = cell.forward(x, h); // x [3, 10] → h [3, 20]
 * ```
 */
export class RNNCell extends RecurrentCellBase {
  /** The activation function. */
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    const nonlinearity = options.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
      throw new ValueError('RNNCell', 'nonlinearity', `must be 'tanh' or 'relu', got ${String(nonlinearity)}`);
    }
    super(nonlinearity === 'relu' ? 'rnn_relu' : 'rnn_tanh', inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
  }

  /**
   * One step.
   * @param input - [B, I] or unbatched [I]
   * @param hx - the previous hidden state [B, H] (or [H]); zeros when absent
   * @returns the next hidden state, [B, H] (or [H])
   */
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    return this.step(input, hx, null).h;
  }
}
