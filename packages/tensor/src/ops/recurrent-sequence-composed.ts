// The composed path of the recurrent sequence ops (see recurrent-sequence.ts): one direction of
// one layer in tensor ops per step, for backends without the fused sweep kernels and for LSTMs
// with a projection (which the kernels do not know). Also the packed-result helpers both paths share.
import { backward, isGradEnabled, noGrad, withGradEnabled } from '../autograd.js';
import { GradientError } from '../errors.js';
import { linear } from '../nn/functional.js';
import type { Tensor } from '../tensor.js';
import { tensor, zerosLike } from './creation.js';
import { sigmoid, tanh, where } from './elementwise.js';
import { concat, split, stack } from './movement.js';

/** The cells the sequence ops run: Elman RNN with tanh or relu, LSTM (i, f, g, o), GRU (r, z, n). */
export type SequenceCell = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

/** One direction of one layer, its inputs already checked. */
export interface SequenceProblem {
  cell: SequenceCell;
  /** [T, B, G·H], or [B, T, G·H] when `batchFirst`. */
  projected: Tensor;
  h0: Tensor;
  c0: Tensor | null;
  weightHh: Tensor;
  biasHh: Tensor | null;
  /** An LSTM's projection W_hr [P, H] (then `h0` is [B, P] and `weightHh` [4H, P]), or null. */
  weightHr: Tensor | null;
  batchFirst: boolean;
  reverse: boolean;
  /** Per-sequence lengths in [1, T], or null when all are T. */
  lengths: readonly number[] | null;
}

/** What a sequence op returns: views of one packed tensor, so one autograd node sees all three gradients. */
export interface SequenceResult {
  output: Tensor;
  hN: Tensor;
  cN: Tensor | null;
}

/** Splits one packed result (outputs, then hN, then cN) into views. */
export function unpackSequence(packed: Tensor, outputShape: readonly number[], batch: number, size: number, cellSize: number | null): SequenceResult {
  const outputSize = outputShape.reduce((a, b) => a * b, 1);
  const stateSize = batch * size;
  return {
    output: packed.slice(0, 0, outputSize).reshape(outputShape),
    hN: packed.slice(0, outputSize, outputSize + stateSize).reshape([batch, size]),
    cN: cellSize === null ? null : packed.slice(0, outputSize + stateSize, outputSize + stateSize + batch * cellSize).reshape([batch, cellSize]),
  };
}

/** Joins an output and final states into the layout {@link unpackSequence} reads. */
export function packSequence(output: Tensor, hN: Tensor, cN: Tensor | null): Tensor {
  return concat([output.reshape([-1]), hN.reshape([-1]), ...(cN ? [cN.reshape([-1])] : [])], 0);
}

/** The differentiable inputs of a problem, in the order the gradient rules return them. */
export function sequenceInputs(problem: SequenceProblem): Tensor[] {
  const { projected, h0, c0, weightHh, biasHh, weightHr } = problem;
  return [projected, h0, ...(c0 ? [c0] : []), weightHh, ...(biasHh ? [biasHh] : []), ...(weightHr ? [weightHr] : [])];
}

/** A recurrent state: `h` [B, H] (or [B, P] with a projection) and, for an LSTM, `c` [B, H]. */
export interface RecurrentCellState {
  h: Tensor;
  c: Tensor | null;
}
type State = RecurrentCellState;

/**
 * One time step of a recurrent cell in tensor ops, PyTorch's gate math (`projected` already
 * holds `x·W_ihᵀ + b_ih`; this adds `W_hh h + b_hh`): the step the composed sequence path runs,
 * and what `@heed/rnn`'s cells call. An LSTM needs `state.c`.
 *
 * @param projected - `[B, G·H]` (G = 1, 4 or 3 gate blocks).
 * @param weightHh - `[G·H, H]` (`[4H, P]` with a projection `weightHr` `[P, H]`).
 * @returns the next state (`c` null except for an LSTM).
 * @example
 * ```ts
 * const next = recurrentCellStep('lstm', projected, { h, c }, weightHh, biasHh, null);
 * ```
 */
export function recurrentCellStep(cell: SequenceCell, projected: Tensor, state: State, weightHh: Tensor, biasHh: Tensor | null, weightHr: Tensor | null): State {
  const hidden = linear(state.h, weightHh, biasHh);
  const size = weightHr ? weightHr.shape[1] : weightHh.shape[1];
  switch (cell) {
    case 'rnn_tanh':
      return { h: tanh(projected.add(hidden)), c: null };
    case 'rnn_relu':
      return { h: projected.add(hidden).relu(), c: null };
    case 'lstm': {
      const [i, f, g, o] = split(projected.add(hidden), size, -1);
      const c = sigmoid(f).mul(state.c!).add(sigmoid(i).mul(tanh(g)));
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

function stepOf(x: Tensor, t: number, batchFirst: boolean): Tensor {
  const axis = batchFirst ? 1 : 0;
  return x.slice(axis, t, t + 1).squeeze(axis);
}

/** What the composed forward keeps for its gradient: the state before each step and the masks. */
export interface ComposedSaved {
  /** The state each step started from, by time step. */
  before: { h: Tensor; c: Tensor | null }[];
  /** `[B, 1]` per step, true where the step is real, or null without lengths. */
  active: Tensor[] | null;
  /** Time steps in sweep order. */
  order: number[];
}

/** What a sequence op's gradient rule reads: the problem and the state its forward path saved. */
export interface SequenceSaved {
  problem: SequenceProblem;
  /** The fused path's gradient (a closure over the kernels' saved activations), or null. */
  fused: ((grad: Tensor) => (Tensor | null)[]) | null;
  /** The composed path's saved states, or null. */
  composed: ComposedSaved | null;
}

/** A problem's sizes: B, the width of h, T, the width of c (or null), and the output's shape. */
export function sequenceShapes(problem: SequenceProblem) {
  const { projected, h0, c0, batchFirst } = problem;
  // `size` is the width of h (P for a projected LSTM); `cellSize` that of c.
  const [batch, size] = h0.shape;
  const steps = projected.shape[batchFirst ? 1 : 0];
  return { batch, size, steps, cellSize: c0 ? c0.shape[1] : null, outputShape: batchFirst ? [batch, steps, size] : [steps, batch, size] };
}

/**
 * The recurrence in tensor ops, run step by step without recording; returns the packed result
 * and what {@link composedGradient} needs (one state per step, so memory is linear in T).
 */
export function composedForward(problem: SequenceProblem): { packed: Tensor; saved: ComposedSaved } {
  const { projected, h0, c0, weightHh, biasHh, weightHr, batchFirst, reverse, lengths } = problem;
  const { batch, steps } = sequenceShapes(problem);
  const backend = projected.backend;
  const active = lengths
    ? Array.from({ length: steps }, (_, t) => tensor(Uint8Array.from(lengths, (length) => (t < length ? 1 : 0)), { dtype: 'bool', shape: [batch, 1], backend }))
    : null;
  const order = Array.from({ length: steps }, (_, s) => (reverse ? steps - 1 - s : s));
  const before: State[] = new Array<State>(steps);
  const outputs: Tensor[] = new Array<Tensor>(steps);
  const packed = noGrad(() => {
    let state: State = { h: h0, c: c0 };
    for (const t of order) {
      before[t] = state;
      const next = recurrentCellStep(problem.cell, stepOf(projected, t, batchFirst), state, weightHh, biasHh, weightHr);
      const mask = active?.[t];
      if (mask) {
        outputs[t] = where(mask, next.h, 0);
        state = { h: where(mask, next.h, state.h), c: next.c && state.c ? where(mask, next.c, state.c) : null };
      } else {
        outputs[t] = next.h;
        state = next;
      }
    }
    return packSequence(stack(outputs, batchFirst ? 1 : 0), state.h, state.c);
  });
  return { packed, saved: { before, active, order } };
}

/**
 * The composed gradient: walks the steps in reverse and differentiates each step on its own,
 * recomputed from the saved previous state. Returns the gradients of {@link sequenceInputs}.
 */
export function composedGradient(problem: SequenceProblem, saved: ComposedSaved, grad: Tensor, op: string): (Tensor | null)[] {
  if (isGradEnabled()) throw new GradientError(op, 'second-order gradients through a recurrent sequence are not supported (backward with createGraph)');
  const { projected, c0, weightHh, biasHh, weightHr, batchFirst } = problem;
  const { batch, size, steps, cellSize, outputShape } = sequenceShapes(problem);
  const { before, active, order } = saved;
  const seeds = unpackSequence(grad, outputShape, batch, size, cellSize);
  const weightLeaf = weightHh.detach().requiresGrad_();
  const biasLeaf = biasHh ? biasHh.detach().requiresGrad_() : null;
  const projectionLeaf = weightHr ? weightHr.detach().requiresGrad_() : null;
  const gradProjected: Tensor[] = new Array<Tensor>(steps);
  let gradH = seeds.hN;
  let gradC = seeds.cN;
  for (let s = steps - 1; s >= 0; s--) {
    const t = order[s];
    const inputLeaf = stepOf(projected, t, batchFirst).detach().requiresGrad_();
    const previous = before[t];
    const hLeaf = previous.h.detach().requiresGrad_();
    const cLeaf = previous.c ? previous.c.detach().requiresGrad_() : null;
    withGradEnabled(true, () => {
      const next = recurrentCellStep(problem.cell, inputLeaf, { h: hLeaf, c: cLeaf }, weightLeaf, biasLeaf, projectionLeaf);
      const mask = active?.[t];
      const h = mask ? where(mask, next.h, hLeaf) : next.h;
      const output = mask ? where(mask, next.h, 0) : next.h;
      let loss = h.mul(gradH).sum().add(output.mul(stepOf(seeds.output, t, batchFirst)).sum());
      if (next.c && cLeaf && gradC) loss = loss.add((mask ? where(mask, next.c, cLeaf) : next.c).mul(gradC).sum());
      backward(loss);
    });
    gradProjected[t] = inputLeaf.grad ?? zerosLike(inputLeaf);
    gradH = hLeaf.grad ?? zerosLike(hLeaf);
    gradC = cLeaf ? (cLeaf.grad ?? zerosLike(cLeaf)) : null;
  }
  const out: (Tensor | null)[] = [stack(gradProjected, batchFirst ? 1 : 0), gradH];
  if (c0) out.push(gradC);
  out.push(weightLeaf.grad);
  if (biasHh) out.push(biasLeaf?.grad ?? null);
  if (weightHr) out.push(projectionLeaf?.grad ?? null);
  return out;
}
