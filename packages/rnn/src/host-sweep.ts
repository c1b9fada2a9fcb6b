// One direction of one recurrent layer over a whole sequence, on host Float32Arrays: the fast
// path of `recurrentSweep` (see sweep.ts). Each step is one matrix product with `weight_hh` for
// all gates and sequences (on the CPU backend's matmul kernel) plus the gate math in plain
// loops. The forward saves only what backpropagation through time needs (gate activations, and
// an LSTM's cell states); the backward walks the steps in reverse and computes the gradient of
// `weight_hh` once at the end, as one product over all steps.
import type { Backend, View } from '@heed/tensor';
import { hostMatmul, hostOuterSum, sigmoid, transposed } from './host-kernels.js';
import { gateCount, type RecurrentMode } from './recurrent-step.js';

/** A sweep's sizes and inputs. Row `(t, b)` of a [T, B, ·] or [B, T, ·] array is {@link rowOf}. */
export interface HostSweepProblem {
  /** The CPU backend whose matmul kernel runs the per-step products. */
  backend: Backend;
  mode: RecurrentMode;
  steps: number;
  batch: number;
  hidden: number;
  /** Rows are laid out [B, T] (true) or [T, B] (false). */
  batchFirst: boolean;
  /** Runs from each sequence's last real step down to its first. */
  reverse: boolean;
  /** Per-sequence lengths in [1, T], or null when every sequence is T long. */
  lengths: Int32Array | null;
  /** `x · weight_ihᵀ + bias_ih`, rows of G·H. */
  projected: Float32Array;
  /** Initial states [B, H]; `c0` only for LSTMs. */
  h0: Float32Array;
  c0: Float32Array | null;
  /** [G·H, H] and [G·H]. */
  weightHh: Float32Array;
  biasHh: Float32Array | null;
}

/** What the forward returns and the backward reads. */
export interface HostSweepState {
  /** Hidden state at each real step (zeros at padded steps), rows of H. */
  output: Float32Array;
  /** Final states [B, H], each sequence's state after its last real step. */
  hN: Float32Array;
  cN: Float32Array | null;
  /** Gate activations per real step (LSTM: i, f, g, o; GRU: r, z, n, W_hn h + b_hn), or null. */
  gates: Float32Array | null;
  /** LSTM cell states per real step, or null. */
  cells: Float32Array | null;
}

/** Gradients of a sweep's inputs. */
export interface HostSweepGradients {
  projected: Float32Array;
  h0: Float32Array;
  c0: Float32Array | null;
  weightHh: Float32Array | null;
  biasHh: Float32Array | null;
}

/** The row of step `t` of sequence `b`. */
export function rowOf(problem: HostSweepProblem, t: number, b: number): number {
  return problem.batchFirst ? b * problem.steps + t : t * problem.batch + b;
}

/** Fills `rows` with the sequences that have a real step `t`; returns how many. */
function activeRows(problem: HostSweepProblem, t: number, rows: Int32Array): number {
  const { lengths, batch } = problem;
  let count = 0;
  for (let b = 0; b < batch; b++) if (lengths === null || t < lengths[b]) rows[count++] = b;
  return count;
}

/** Whether step `t` is the first real step of sequence `b` in the sweep's direction. */
function isFirstStep(problem: HostSweepProblem, t: number, b: number): boolean {
  if (!problem.reverse) return t === 0;
  return t === (problem.lengths === null ? problem.steps : problem.lengths[b]) - 1;
}

/**
 * Runs the recurrence forward on the backend's fused `lstmSequence` / `gruSequence` /
 * `rnnSequence` kernel when it has one (they save the same gate activations as {@link hostSweepForward}); null otherwise.
 */
export function fusedSweepForward(problem: HostSweepProblem, keepForBackward: boolean): HostSweepState | null {
  const { backend, mode, steps, batch, hidden: size } = problem;
  const kernel = mode === 'lstm' ? 'lstmSequence' : mode === 'gru' ? 'gruSequence' : 'rnnSequence';
  if (!backend.runFused || !(backend.supports?.(kernel) ?? false)) return null;
  const width = gateCount(mode) * size;
  const view = (data: Float32Array, shape: number[], strides: number[]): View => ({ handle: data, dtype: 'float32', shape, strides, offset: 0 });
  const common = {
    // [T, B, G·H], a permuted view when the rows are batch-first.
    projected: view(problem.projected, [steps, batch, width], problem.batchFirst ? [width, steps * width, 1] : [batch * width, width, 1]),
    weightHidden: view(problem.weightHh, [width, size], [size, 1]),
    biasHidden: problem.biasHh ? view(problem.biasHh, [width], [1]) : null,
    hidden: view(problem.h0, [batch, size], [size, 1]),
    lengths: problem.lengths ? Array.from(problem.lengths) : null,
    reverse: problem.reverse,
    batchFirst: problem.batchFirst,
    saveForBackward: keepForBackward,
  };
  if (kernel === 'lstmSequence') {
    const cell = view(problem.c0 ?? new Float32Array(batch * size), [batch, size], [size, 1]);
    const result = backend.runFused('lstmSequence', { ...common, cell }) as Record<'output' | 'hidden' | 'cell', Float32Array> & Record<'gates' | 'cells', Float32Array | null>;
    return { output: result.output, hN: result.hidden, cN: result.cell, gates: result.gates, cells: result.cells };
  }
  if (kernel === 'rnnSequence') {
    const { saveForBackward: _unused, ...rnnArgs } = common;
    const result = backend.runFused('rnnSequence', { ...rnnArgs, nonlinearity: mode === 'rnn_relu' ? 'relu' : 'tanh' }) as Record<'output' | 'hidden', Float32Array>;
    // The Elman backward needs only the outputs.
    return { output: result.output, hN: result.hidden, cN: null, gates: null, cells: null };
  }
  const result = backend.runFused('gruSequence', common) as Record<'output' | 'hidden', Float32Array> & { gates: Float32Array | null };
  return { output: result.output, hN: result.hidden, cN: null, gates: result.gates, cells: null };
}

/**
 * Runs the recurrence forward in plain loops (one matrix product per step for all gates and
 * sequences); `keepForBackward` saves gate activations for {@link hostSweepBackward}.
 */
export function hostSweepForward(problem: HostSweepProblem, keepForBackward: boolean): HostSweepState {
  const { backend, mode, steps, batch, hidden: size, projected, biasHh } = problem;
  const width = gateCount(mode) * size;
  const weightT = { data: transposed(problem.weightHh, width, size), rows: size, columns: width };
  const bias = biasHh ?? new Float32Array(width);
  const h = problem.h0.slice();
  const c = mode === 'lstm' ? (problem.c0 ?? new Float32Array(batch * size)).slice() : null;
  const totalRows = steps * batch;
  const output = new Float32Array(totalRows * size);
  const gates = keepForBackward && (mode === 'lstm' || mode === 'gru') ? new Float32Array(totalRows * 4 * size) : null;
  const cells = keepForBackward && mode === 'lstm' ? new Float32Array(totalRows * size) : null;
  const rows = new Int32Array(batch);
  for (let s = 0; s < steps; s++) {
    const t = problem.reverse ? steps - 1 - s : s;
    const count = activeRows(problem, t, rows);
    if (count === 0) continue;
    // h · weight_hhᵀ for every sequence (rows of finished ones are computed and ignored).
    const hiddenPart = hostMatmul(backend, { data: h, rows: batch, columns: size }, weightT);
    for (let index = 0; index < count; index++) {
      const b = rows[index];
      const row = rowOf(problem, t, b);
      const x = row * width;
      const part = b * width;
      const state = b * size;
      const out = row * size;
      if (mode === 'lstm') {
        const saved = row * 4 * size;
        for (let j = 0; j < size; j++) {
          const i = sigmoid(projected[x + j] + hiddenPart[part + j] + bias[j]);
          const f = sigmoid(projected[x + size + j] + hiddenPart[part + size + j] + bias[size + j]);
          const g = Math.tanh(projected[x + 2 * size + j] + hiddenPart[part + 2 * size + j] + bias[2 * size + j]);
          const o = sigmoid(projected[x + 3 * size + j] + hiddenPart[part + 3 * size + j] + bias[3 * size + j]);
          const cell = f * c![state + j] + i * g;
          const value = o * Math.tanh(cell);
          c![state + j] = cell;
          h[state + j] = value;
          output[out + j] = value;
          if (gates !== null) {
            gates[saved + j] = i;
            gates[saved + size + j] = f;
            gates[saved + 2 * size + j] = g;
            gates[saved + 3 * size + j] = o;
            cells![out + j] = cell;
          }
        }
      } else if (mode === 'gru') {
        const saved = row * 4 * size;
        for (let j = 0; j < size; j++) {
          const r = sigmoid(projected[x + j] + hiddenPart[part + j] + bias[j]);
          const z = sigmoid(projected[x + size + j] + hiddenPart[part + size + j] + bias[size + j]);
          const hiddenN = hiddenPart[part + 2 * size + j] + bias[2 * size + j];
          const n = Math.tanh(projected[x + 2 * size + j] + r * hiddenN);
          const value = n + z * (h[state + j] - n);
          h[state + j] = value;
          output[out + j] = value;
          if (gates !== null) {
            gates[saved + j] = r;
            gates[saved + size + j] = z;
            gates[saved + 2 * size + j] = n;
            gates[saved + 3 * size + j] = hiddenN;
          }
        }
      } else {
        const relu = mode === 'rnn_relu';
        for (let j = 0; j < size; j++) {
          const pre = projected[x + j] + hiddenPart[part + j] + bias[j];
          const value = relu ? (pre > 0 ? pre : 0) : Math.tanh(pre);
          h[state + j] = value;
          output[out + j] = value;
        }
      }
    }
  }
  return { output, hN: h, cN: c, gates, cells };
}

/**
 * Backpropagation through time for a sweep run by {@link fusedSweepForward} or
 * {@link hostSweepForward} with `keepForBackward`. Per step: the gate derivatives in plain loops,
 * then one product with `weight_hh` for all sequences. `gradOutput` (rows of H), `gradHN` and `gradCN` ([B, H]) may be null (zero).
 * `needWeights` says whether the gradients of `weight_hh` and `bias_hh` are wanted.
 */
export function hostSweepBackward(
  problem: HostSweepProblem,
  state: HostSweepState,
  gradOutput: Float32Array | null,
  gradHN: Float32Array | null,
  gradCN: Float32Array | null,
  needWeights: boolean,
): HostSweepGradients {
  const { backend, mode, steps, batch, hidden: size, h0, c0 } = problem;
  const { output, gates, cells } = state;
  const width = gateCount(mode) * size;
  const totalRows = steps * batch;
  const gradProjected = new Float32Array(totalRows * width);
  // The gradient of `W_hh h + b_hh` differs from that of `projected` only for a GRU's n gate.
  const gradHidden = mode === 'gru' ? new Float32Array(totalRows * width) : gradProjected;
  // The state each real step started from (zero rows at padded steps), for weight_hh's gradient.
  const previous = needWeights ? new Float32Array(totalRows * size) : null;
  const dh = gradHN ? gradHN.slice() : new Float32Array(batch * size);
  const dc = mode === 'lstm' ? (gradCN ? gradCN.slice() : new Float32Array(batch * size)) : null;
  const direct = mode === 'gru' ? new Float32Array(batch * size) : null;
  const stepGrad = new Float32Array(batch * width);
  const weight = { data: problem.weightHh, rows: width, columns: size };
  const rows = new Int32Array(batch);
  for (let s = steps - 1; s >= 0; s--) {
    const t = problem.reverse ? steps - 1 - s : s;
    const count = activeRows(problem, t, rows);
    if (count === 0) continue;
    for (let index = 0; index < count; index++) {
      const b = rows[index];
      const row = rowOf(problem, t, b);
      const first = isFirstStep(problem, t, b);
      const previousRow = first ? -1 : rowOf(problem, problem.reverse ? t + 1 : t - 1, b);
      const hSource = first ? h0 : output;
      const hOffset = first ? b * size : previousRow * size;
      if (previous !== null) previous.set(hSource.subarray(hOffset, hOffset + size), row * size);
      const state0 = b * size;
      const out = row * size;
      const x = row * width;
      const part = b * width;
      for (let j = 0; j < size; j++) {
        const grad = dh[state0 + j] + (gradOutput === null ? 0 : gradOutput[out + j]);
        if (mode === 'lstm') {
          const saved = row * 4 * size;
          const i = gates![saved + j];
          const f = gates![saved + size + j];
          const g = gates![saved + 2 * size + j];
          const o = gates![saved + 3 * size + j];
          // h = o · tanh(c) was saved as the output: dividing it back out is exact to rounding
          // and far cheaper than Math.tanh (which took ~40 % of this loop); tiny o falls back.
          const tanhCell = o > 1e-3 ? output[out + j] / o : Math.tanh(cells![out + j]);
          const cellPrevious = first ? (c0 === null ? 0 : c0[state0 + j]) : cells![previousRow * size + j];
          const gradCell = dc![state0 + j] + grad * o * (1 - tanhCell * tanhCell);
          stepGrad[part + j] = gradCell * g * i * (1 - i);
          stepGrad[part + size + j] = gradCell * cellPrevious * f * (1 - f);
          stepGrad[part + 2 * size + j] = gradCell * i * (1 - g * g);
          stepGrad[part + 3 * size + j] = grad * tanhCell * o * (1 - o);
          dc![state0 + j] = gradCell * f;
        } else if (mode === 'gru') {
          const saved = row * 4 * size;
          const r = gates![saved + j];
          const z = gates![saved + size + j];
          const n = gates![saved + 2 * size + j];
          const hiddenN = gates![saved + 3 * size + j];
          const gradN = grad * (1 - z) * (1 - n * n);
          stepGrad[part + j] = gradN * hiddenN * r * (1 - r);
          stepGrad[part + size + j] = grad * (hSource[hOffset + j] - n) * z * (1 - z);
          stepGrad[part + 2 * size + j] = gradN;
          direct![state0 + j] = grad * z;
        } else {
          const value = output[out + j];
          stepGrad[part + j] = mode === 'rnn_relu' ? (value > 0 ? grad : 0) : grad * (1 - value * value);
        }
      }
      gradProjected.set(stepGrad.subarray(part, part + width), x);
      if (mode === 'gru') {
        for (let j = 0; j < size; j++) {
          gradHidden[x + j] = stepGrad[part + j];
          gradHidden[x + size + j] = stepGrad[part + size + j];
          const r = gates![row * 4 * size + j];
          stepGrad[part + 2 * size + j] *= r;
          gradHidden[x + 2 * size + j] = stepGrad[part + 2 * size + j];
        }
      }
    }
    // d/dh of W_hh h for every sequence (rows of finished ones are computed and ignored).
    const stepHidden = hostMatmul(backend, { data: stepGrad, rows: batch, columns: width }, weight);
    for (let index = 0; index < count; index++) {
      const state0 = rows[index] * size;
      for (let j = 0; j < size; j++) dh[state0 + j] = stepHidden[state0 + j] + (direct === null ? 0 : direct[state0 + j]);
    }
  }
  let gradWeight: Float32Array | null = null;
  let gradBias: Float32Array | null = null;
  if (previous !== null) {
    gradWeight = hostOuterSum(backend, gradHidden, previous, totalRows, width, size);
    gradBias = new Float32Array(width);
    for (let row = 0; row < totalRows; row++) {
      const x = row * width;
      for (let j = 0; j < width; j++) gradBias[j] += gradHidden[x + j];
    }
  }
  return { projected: gradProjected, h0: dh, c0: dc, weightHh: gradWeight, biasHh: gradBias };
}
