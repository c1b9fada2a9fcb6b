import type { Tensor } from '@heed/tensor';
import { RecurrentCellBase, type CellOptions } from './cell-base.js';

/**
 * A gated recurrent unit cell, PyTorch's `nn.GRUCell`. Gates in PyTorch's order r, z, n:
 *
 * `r = σ(W_ir x + b_ir + W_hr h + b_hr)`, `z = σ(W_iz x + b_iz + W_hz h + b_hz)`,
 * `n = tanh(W_in x + b_in + r ∘ (W_hn h + b_hn))`, `h' = (1 − z) ∘ n + z ∘ h`.
 *
 * Parameters `weight_ih` [3H, I], `weight_hh` [3H, H], `bias_ih`, `bias_hh` [3H].
 * Legend: `B` batch, `I` input size, `H` hidden size.
 *
 * @example
 * ```ts
 * const cell = new GRUCell(10, 20);
 * const h = cell.forward(randn([3, 10]));  // [3, 20], from a zero state
 * const next = cell.forward(randn([3, 10]), h);
 * ```
 */
export class GRUCell extends RecurrentCellBase {
  constructor(inputSize: number, hiddenSize: number, options: CellOptions = {}) {
    super('gru', inputSize, hiddenSize, options);
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
