import { ValueError, linear, sigmoid, split, tanh, type Tensor } from '@heed/tensor';

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
  const hidden = linear(state.h, weightHh, biasHh);
  const size = weightHr ? weightHr.shape[1] : weightHh.shape[1];
  switch (mode) {
    case 'rnn_tanh':
      return { h: tanh(projected.add(hidden)), c: null };
    case 'rnn_relu':
      return { h: projected.add(hidden).relu(), c: null };
    case 'lstm': {
      const [i, f, g, o] = split(projected.add(hidden), size, -1);
      if (!state.c) throw new ValueError('recurrentStep', 'state.c', 'an LSTM step needs a cell state');
      const c = sigmoid(f).mul(state.c).add(sigmoid(i).mul(tanh(g)));
      const h = sigmoid(o).mul(tanh(c));
      return { h: weightHr ? linear(h, weightHr) : h, c };
    }
    case 'gru': {
      const [inputR, inputZ, inputN] = split(projected, size, -1);
      const [hiddenR, hiddenZ, hiddenN] = split(hidden, size, -1);
      const r = sigmoid(inputR.add(hiddenR));
      const z = sigmoid(inputZ.add(hiddenZ));
      const n = tanh(inputN.add(r.mul(hiddenN)));
      return { h: n.add(z.mul(state.h.sub(n))), c: null };
    }
  }
}
