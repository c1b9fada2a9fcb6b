import { gruSequence, lstmSequence, rnnSequence, type Tensor } from '@heed/tensor';
import type { RecurrentMode } from './recurrent-step.js';

/**
 * How a layer runs its recurrence, one op per layer and direction (`lstmSequence`,
 * `gruSequence`, `rnnSequence` from `@heed/tensor`). `fused`: the backend's fused sweep kernels
 * (forward and backpropagation through time; WebAssembly SIMD on the CPU backend), a
 * `BackendError` on a backend without them. `composed`: tensor ops per step, on any backend.
 * `auto` (the default): `fused` where the backend has the kernels, else `composed`. An LSTM with
 * a projection (`projSize`) always runs `composed`: the fused kernels have no projection.
 * `host` is the former name of `fused` (deprecated; it will be removed).
 */
export type RecurrentImplementation = 'auto' | 'fused' | 'composed' | 'host';

/** The inputs of one direction of one layer. */
export interface SweepInputs {
  mode: RecurrentMode;
  /** `x · weight_ihᵀ` (plus `bias_ih` unless it is folded into `biasHh`): [T, B, G·H], or [B, T, G·H] when `batchFirst`. */
  projected: Tensor;
  /** [B, H] each; `c0` only for LSTMs. */
  h0: Tensor;
  c0: Tensor | null;
  /** [G·H, H] and [G·H] (or null); outside GRU `biasHh` may be `bias_ih + bias_hh`. With an LSTM projection `weightHh` is [4H, P]. */
  weightHh: Tensor;
  biasHh: Tensor | null;
  /** An LSTM's projection `weight_hr` [P, H] (`h_t = W_hr (o_t ⊙ tanh(c_t))`, so `h0` is [B, P]), or null. */
  weightHr: Tensor | null;
  batchFirst: boolean;
  reverse: boolean;
  /** Per-sequence lengths, already checked to lie in [1, T], or null. */
  lengths: Int32Array | null;
  implementation: RecurrentImplementation;
}

/** The results of one direction of one layer. */
export interface SweepResult {
  /** Hidden states, zero at padded steps: [T, B, H] or [B, T, H] (H = projSize for a projected LSTM). */
  output: Tensor;
  /** [B, H] (P for a projected LSTM): the state after each sequence's last real step. */
  hN: Tensor;
  /** An LSTM's final cell state [B, H]; null otherwise. */
  cN: Tensor | null;
}

/** Runs one direction of one recurrent layer over whole sequences as a single op of `@heed/tensor`. */
export function recurrentSweep(inputs: SweepInputs): SweepResult {
  const { mode, projected, weightHh } = inputs;
  const implementation = inputs.implementation === 'host' ? 'fused' : inputs.implementation;
  const options = {
    biasHh: inputs.biasHh,
    h0: inputs.h0,
    batchFirst: inputs.batchFirst,
    reverse: inputs.reverse,
    lengths: inputs.lengths,
    // A projected LSTM has no fused kernel: it runs composed whatever was asked for.
    implementation: inputs.weightHr ? 'composed' : implementation,
  } as const;
  if (mode === 'lstm') return lstmSequence(projected, weightHh, { ...options, c0: inputs.c0, weightHr: inputs.weightHr });
  if (mode === 'gru') return { ...gruSequence(projected, weightHh, options), cN: null };
  return { ...rnnSequence(projected, weightHh, { ...options, nonlinearity: mode === 'rnn_relu' ? 'relu' : 'tanh' }), cN: null };
}
