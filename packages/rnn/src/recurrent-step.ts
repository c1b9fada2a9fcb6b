import { ValueError, recurrentCellStep, type Tensor } from '@heed/tensor';

/**
 * The recurrence a layer runs, with PyTorch's mode names: `rnn_tanh` and `rnn_relu` (Elman RNN),
 * `lstm` (gates i, f, g, o) and `gru` (gates r, z, n).
 */
export type RecurrentMode = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

/** The number of gate blocks of `hiddenSize` rows in a mode's weights: 1, 4 or 3. */
export function gateCount(mode: RecurrentMode): number {
  return mode === 'lstm' ? 4 : mode === 'gru' ? 3 : 1;
}

/** The recurrent state of a batch: hidden state `h` [B, H] and, for LSTMs, cell state `c` [B, H]. */
export interface RecurrentState {
  h: Tensor;
  c: Tensor | null;
}

/**
 * One time step of a recurrence, composed from tensor ops (so it runs on every backend and
 * autograd differentiates it). `projected` is the input already multiplied by `weight_ih` plus
 * `bias_ih`; this adds `h · weight_hhᵀ + bias_hh` and applies the gates:
 *
 * - `rnn_tanh` / `rnn_relu`: `h' = act(projected + W_hh h + b_hh)`
 * - `lstm`: `i, f, g, o = σ, σ, tanh, σ of (projected + W_hh h + b_hh)`, `c' = f c + i g`, `h' = o tanh(c')`,
 *   or `h' = W_hr (o tanh(c'))` with a projection `weightHr` (PyTorch's `proj_size`)
 * - `gru`: `r, z = σ(x_r + h_r), σ(x_z + h_z)`, `n = tanh(x_n + r (W_hn h + b_hn))`, `h' = (1 - z) n + z h`
 *
 * @param projected - shape [B, G·H] (G = {@link gateCount})
 * @param state - `h` [B, H] ([B, P] with a projection), and `c` [B, H] for `lstm`
 * @param weightHh - shape [G·H, H] ([4H, P] with a projection)
 * @param biasHh - shape [G·H], or null
 * @param weightHr - an LSTM's projection [P, H], or null (the default)
 * @returns the next state (`c` is null except for `lstm`)
 * @example
 * ```ts
 * const projected = linear(x, cell.weight_ih, cell.bias_ih); // [B, 4H]
 * const next = recurrentStep('lstm', projected, { h, c }, cell.weight_hh, cell.bias_hh);
 * ```
 */
export function recurrentStep(
  mode: RecurrentMode,
  projected: Tensor,
  state: RecurrentState,
  weightHh: Tensor,
  biasHh: Tensor | null,
  weightHr: Tensor | null = null,
): RecurrentState {
  if (weightHr && mode !== 'lstm') throw new ValueError('recurrentStep', 'weightHr', `only an LSTM has a projection (this is ${mode})`);
  if (mode === 'lstm' && !state.c) throw new ValueError('recurrentStep', 'state.c', 'an LSTM step needs a cell state');
  return recurrentCellStep(mode, projected, state, weightHh, biasHh, weightHr);
}
