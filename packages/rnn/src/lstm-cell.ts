import type { Tensor } from '@heed/tensor';
import { RecurrentCellBase, type CellOptions } from './cell-base.js';

/** The state of an LSTM: hidden state `h` and cell state `c`, each [B, H] (or [H] unbatched). */
export interface LSTMState {
  h: Tensor;
  c: Tensor;
}

/**
 * A long short-term memory cell, PyTorch's `nn.LSTMCell`. Gates in PyTorch's order i, f, g, o:
 *
 * `i, f, o = σ(…)`, `g = tanh(…)` of `W_i· x + b_i· + W_h· h + b_h·`; `c' = f ∘ c + i ∘ g`; `h' = o ∘ tanh(c')`.
 *
 * Parameters `weight_ih` [4H, I], `weight_hh` [4H, H], `bias_ih`, `bias_hh` [4H].
 * Legend: `B` batch, `I` input size, `H` hidden size.
 *
 * @example
 * ```ts
 * const cell = new LSTMCell(10, 20);
 * let state = { h: zeros([3, 20]), c: zeros([3, 20]) };
 * for (const x of steps) state = cell.forward(x, state); // x [3, 10]
 * ```
 */
export class LSTMCell extends RecurrentCellBase {
  constructor(inputSize: number, hiddenSize: number, options: CellOptions = {}) {
    super('lstm', inputSize, hiddenSize, options);
  }

  /**
   * One step.
   * @param input - [B, I] or unbatched [I]
   * @param state - the previous `h` and `c`, [B, H] (or [H]) each; zeros when absent
   * @returns the next `h` and `c`
   */
  forward(input: Tensor, state?: Partial<LSTMState> | null): LSTMState {
    const next = this.step(input, state?.h, state?.c);
    return { h: next.h, c: next.c! };
  }
}
