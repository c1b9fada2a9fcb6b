/**
 * `lstmSequence`, `gruSequence`, `rnnSequence`: one direction of one recurrent layer over whole
 * sequences as one op, with its forward, gradient and fallback in one place: the backend's fused
 * sweep kernel (`lstmSequence`, …) and its backward kernel (`lstmSequenceBackward`, …, or the
 * plain-JS reference backward over host arrays when the backend has only the forward), else
 * composed tensor ops per step (recurrent-sequence-composed.ts).
 *
 * Legend: `T` time steps, `B` batch, `H` hidden size, `G` gates (LSTM 4, GRU 3, RNN 1), `P` an
 * LSTM's projection size.
 */
import { isGradEnabled, noGrad } from '../autograd.js';
import type { Backend, DataArray, View } from '../backend.js';
import { gruSequenceBackwardKernel, lstmSequenceBackwardKernel, rnnSequenceBackwardKernel } from '../cpu/recurrent-backward.js';
import { BackendError, DTypeError, GradientError, ShapeError, ValueError, formatShape } from '../errors.js';
import { Tensor } from '../tensor.js';
import { zeros } from './creation.js';
import { recordOp, type GradRules } from './op-set.js';
import {
  composedForward,
  composedGradient,
  packSequence,
  sequenceInputs,
  sequenceShapes,
  unpackSequence,
  type SequenceCell,
  type SequenceProblem,
  type SequenceResult,
  type SequenceSaved,
} from './recurrent-sequence-composed.js';

/** The ops of this file, as the op set names them. */
type SequenceOp = 'lstmSequence' | 'gruSequence' | 'rnnSequence';

/** Options every recurrent sequence op takes. */
export interface RecurrentSequenceOptions {
  /** `[G·H]`: b_hh (outside GRU it may hold b_ih + b_hh, with b_ih left out of `projected`), or null. */
  biasHh?: Tensor | null;
  /** `[B, H]` (`[B, P]` for a projected LSTM): the initial hidden state (default zeros). */
  h0?: Tensor | null;
  /** `projected` and `output` are `[B, T, ·]` (the default, as everywhere in heed); false for `[T, B, ·]`. */
  batchFirst?: boolean;
  /** Run from each sequence's last real step down to step 0 (the second direction of a bidirectional layer). */
  reverse?: boolean;
  /** Each sequence's real steps, integers in [1, T] (default: all T). Padded steps keep the state; their outputs are 0. */
  lengths?: readonly number[] | Int32Array | null;
  /**
   * `'fused'` (the backend's sweep kernels, else a `BackendError`; its backward kernel, else the
   * plain-JS backward on host copies), `'composed'` (tensor ops per step, on any backend), or
   * `'auto'` (default): fused where the backend has the forward kernel and, when gradients are
   * recorded, the backward kernel too; composed otherwise.
   */
  implementation?: 'auto' | 'fused' | 'composed';
}

/** Options of {@link lstmSequence}. */
export interface LstmSequenceOptions extends RecurrentSequenceOptions {
  /** `[B, H]`: the initial cell state (default zeros). */
  c0?: Tensor | null;
  /** `[P, H]`: PyTorch's `weight_hr` (`proj_size` P < H): `h_t = W_hr (o_t ∘ tanh(c_t))`. Runs composed. */
  weightHr?: Tensor | null;
}

/** Options of {@link rnnSequence}. */
export interface RnnSequenceOptions extends RecurrentSequenceOptions {
  /** `'tanh'` (default) or `'relu'`. */
  nonlinearity?: 'tanh' | 'relu';
}

/** What {@link gruSequence} and {@link rnnSequence} return. */
export interface RecurrentSequenceResult {
  /** `[B, T, H]` (`[T, B, H]` with `batchFirst: false`): the hidden state at every step, 0 at padded steps. */
  output: Tensor;
  /** `[B, H]`: each sequence's state after its last real step. */
  hN: Tensor;
}

/** What {@link lstmSequence} returns. */
export interface LstmSequenceResult extends RecurrentSequenceResult {
  /** `[B, H]`: the final cell state (H even with a projection). */
  cN: Tensor;
}

const gateCounts: Record<SequenceCell, number> = { lstm: 4, gru: 3, rnn_tanh: 1, rnn_relu: 1 };

function checkFloat(op: string, name: string, value: unknown): asserts value is Tensor {
  if (!(value instanceof Tensor)) throw new ValueError(op, name, 'expected a Tensor');
  if (value.dtype !== 'float32') throw new DTypeError(op, name, 'float32', value.dtype);
}

function checkShape(op: string, name: string, value: Tensor, expected: readonly number[], legend: string): void {
  if (formatShape(value.shape) !== formatShape(expected)) throw new ShapeError(op, name, `${formatShape(expected)} (${legend})`, value.shape);
}

/** Checks every argument before any kernel runs and builds the problem. */
function problemOf(op: string, cell: SequenceCell, projected: Tensor, weightHh: Tensor, options: LstmSequenceOptions): SequenceProblem {
  checkFloat(op, 'projected', projected);
  checkFloat(op, 'weightHh', weightHh);
  const batchFirst = options.batchFirst ?? true;
  const pattern = batchFirst ? '[B, T, G·H]' : '[T, B, G·H]';
  if (projected.rank !== 3 || projected.shape[0] < 1 || projected.shape[1] < 1) throw new ShapeError(op, 'projected', `${pattern} with T, B ≥ 1`, projected.shape);
  const [batch, steps] = batchFirst ? [projected.shape[0], projected.shape[1]] : [projected.shape[1], projected.shape[0]];
  const width = projected.shape[2];
  const gates = gateCounts[cell];
  const weightHr = cell === 'lstm' ? (options.weightHr ?? null) : null;
  if (weightHr) checkFloat(op, 'weightHr', weightHr);
  const size = weightHr ? weightHr.shape[1] : weightHh.shape[1];
  const stateSize = weightHr ? weightHr.shape[0] : size;
  if (weightHh.rank !== 2 || width !== gates * size || weightHh.shape[0] !== width) {
    throw new ShapeError(op, 'weightHh', `[${gates}·H, ${weightHr ? 'P' : 'H'}] with ${gates}·H = ${width} (the last axis of projected)`, weightHh.shape);
  }
  if (weightHr && (weightHr.rank !== 2 || weightHr.shape[0] < 1 || weightHr.shape[0] >= size)) throw new ShapeError(op, 'weightHr', '[P, H] with 1 ≤ P < H', weightHr.shape);
  const biasHh = options.biasHh ?? null;
  if (biasHh) {
    checkFloat(op, 'biasHh', biasHh);
    checkShape(op, 'biasHh', biasHh, [width], 'G·H');
  }
  const backend = projected.backend;
  const state = (name: string, value: Tensor | null | undefined, features: number, legend: string): Tensor => {
    if (value === null || value === undefined) return zeros([batch, features], { backend });
    checkFloat(op, name, value);
    checkShape(op, name, value, [batch, features], legend);
    return value;
  };
  const h0 = state('h0', options.h0, stateSize, weightHr ? 'B, P' : 'B, H');
  const c0 = cell === 'lstm' ? state('c0', options.c0, size, 'B, H') : null;
  for (const [name, value] of [['weightHh', weightHh], ['biasHh', biasHh], ['h0', h0], ['c0', c0], ['weightHr', weightHr]] as const) {
    if (value && value.backend !== backend) throw new BackendError(op, `${name} lives on the ${value.backend.name} backend, projected on ${backend.name}; move one with tensor.to(backend)`);
  }
  let lengths: number[] | null = null;
  if (options.lengths) {
    const raw = Array.from(options.lengths, Number);
    if (raw.length !== batch) throw new ShapeError(op, 'lengths', `[${batch}] (one length per sequence)`, [raw.length]);
    raw.forEach((length, b) => {
      if (!Number.isInteger(length) || length < 1 || length > steps) throw new ValueError(op, 'lengths', `lengths[${b}] is ${length}; each must be an integer in [1, ${steps}]`);
    });
    lengths = raw.every((length) => length === steps) ? null : raw;
  }
  return { cell, projected, h0, c0, weightHh, biasHh, weightHr, batchFirst, reverse: options.reverse === true, lengths };
}

const forwardKernels = { lstm: 'lstmSequence', gru: 'gruSequence', rnn_tanh: 'rnnSequence', rnn_relu: 'rnnSequence' } as const;
const backwardKernels = { lstm: 'lstmSequenceBackward', gru: 'gruSequenceBackward', rnn_tanh: 'rnnSequenceBackward', rnn_relu: 'rnnSequenceBackward' } as const;

/** Runs the problem on the fused kernels or composed, as `implementation` asks. */
function runSequence(op: SequenceOp, problem: SequenceProblem, implementation: RecurrentSequenceOptions['implementation'] = 'auto'): SequenceResult {
  if (!['auto', 'fused', 'composed'].includes(implementation)) throw new ValueError(op, 'implementation', `expected 'auto', 'fused' or 'composed', got ${String(implementation)}`);
  const backend = problem.projected.backend;
  const kernel = forwardKernels[problem.cell];
  const fused = backend.supports?.(kernel) === true && backend.runFused !== undefined;
  if (implementation === 'fused') {
    if (problem.weightHr) throw new ValueError(op, 'implementation', "the fused kernels have no projection (weightHr); use 'auto' or 'composed'");
    if (!fused) throw new BackendError(op, `the ${backend.name} backend has no fused ${kernel} kernel; use implementation 'auto' or 'composed'`);
  }
  // `auto` trains on the fused kernels only where the backward kernel is there too (a device
  // backend with forward sweeps alone trains composed, its tensors never leaving the device).
  const recording = isGradEnabled() && sequenceInputs(problem).some((input) => input.requiresGrad);
  const backward = !recording || backend.supports?.(backwardKernels[problem.cell]) === true;
  const useFused = implementation === 'fused' || (implementation === 'auto' && fused && backward && !problem.weightHr);
  const saved: SequenceSaved = { problem, fused: null, composed: null };
  let packed: Tensor;
  if (useFused) ({ packed, gradient: saved.fused } = fusedForward(op, backend, problem, recording));
  else ({ packed, saved: saved.composed } = composedForward(problem));
  const { batch, size, outputShape, cellSize } = sequenceShapes(problem);
  const recorded = recordOp(recurrentSequenceRules, op, packed, sequenceInputs(problem), saved);
  return unpackSequence(recorded, outputShape, batch, size, cellSize);
}

/** One rule for the three ops: the fused path's backward kernels, or the composed steps. */
const sequenceRule = (grad: Tensor, saved: SequenceSaved): readonly (Tensor | null)[] =>
  saved.fused ? saved.fused(grad) : composedGradient(saved.problem, saved.composed!, grad, forwardKernels[saved.problem.cell]);

/** The gradient rules of the recurrent sequence ops (see ops/op-set.ts). */
export const recurrentSequenceRules: GradRules<SequenceOp> = { lstmSequence: sequenceRule, gruSequence: sequenceRule, rnnSequence: sequenceRule };

/** The fused path: one forward kernel call, and (when `recording`) its gradient on the backward kernel. */
function fusedForward(op: SequenceOp, backend: Backend, problem: SequenceProblem, recording: boolean): { packed: Tensor; gradient: ((grad: Tensor) => (Tensor | null)[]) | null } {
  const { cell, projected, h0, c0, weightHh, biasHh, batchFirst, reverse, lengths } = problem;
  const [batch, size] = h0.shape;
  const steps = projected.shape[batchFirst ? 1 : 0];
  const rows = steps * batch;
  const common = {
    // [T, B, G·H]: batch-first data is a permuted view.
    projected: (batchFirst ? projected.transpose(0, 1) : projected).view,
    weightHidden: weightHh.view,
    biasHidden: biasHh ? biasHh.view : null,
    hidden: h0.view,
    lengths,
    reverse,
    batchFirst,
  };
  const wrap = (handle: unknown, shape: readonly number[]): Tensor => Tensor.fromHandle(backend, handle, shape, 'float32');
  let output: Tensor;
  let hN: Tensor;
  let cN: Tensor | null = null;
  let gates: Tensor | null = null;
  let cells: Tensor | null = null;
  if (cell === 'lstm') {
    const result = backend.runFused!('lstmSequence', { ...common, cell: c0!.view, saveForBackward: recording });
    [output, hN, cN] = [wrap(result.output, [rows, size]), wrap(result.hidden, [batch, size]), wrap(result.cell, [batch, size])];
    gates = result.gates === null ? null : wrap(result.gates, [rows, 4 * size]);
    cells = result.cells === null ? null : wrap(result.cells, [rows, size]);
  } else if (cell === 'gru') {
    const result = backend.runFused!('gruSequence', { ...common, saveForBackward: recording });
    [output, hN] = [wrap(result.output, [rows, size]), wrap(result.hidden, [batch, size])];
    gates = result.gates === null ? null : wrap(result.gates, [rows, 4 * size]);
  } else {
    const result = backend.runFused!('rnnSequence', { ...common, nonlinearity: cell === 'rnn_relu' ? 'relu' : 'tanh' });
    [output, hN] = [wrap(result.output, [rows, size]), wrap(result.hidden, [batch, size])];
  }
  const packed = noGrad(() => packSequence(output, hN, cN));
  const gradient = (grad: Tensor): (Tensor | null)[] => {
      if (isGradEnabled()) throw new GradientError(op, 'second-order gradients through a recurrent sequence are not supported (backward with createGraph)');
      const seeds = unpackSequence(grad, [rows, size], batch, size, cN ? size : null);
      const result = runBackward(backend, cell, {
        steps,
        lengths,
        reverse,
        batchFirst,
        needWeightGradients: weightHh.requiresGrad || (biasHh?.requiresGrad ?? false),
        nonlinearity: cell === 'rnn_relu' ? 'relu' : 'tanh',
        tensors: {
          weightHidden: weightHh.detach(),
          hidden: h0.detach(),
          output,
          gradOutput: seeds.output,
          gradHidden: seeds.hN,
          cell: c0?.detach() ?? null,
          gates,
          cells,
          gradCell: seeds.cN,
        },
      });
      const width = weightHh.shape[0];
      const out: (Tensor | null)[] = [wrap(result.gradProjected, [rows, width]).reshape(projected.shape), wrap(result.gradHidden, [batch, size])];
      if (c0) out.push(wrap(result.gradCell, [batch, size]));
      out.push(result.gradWeightHidden === null ? null : wrap(result.gradWeightHidden, weightHh.shape));
      if (biasHh) out.push(result.gradBiasHidden === null ? null : wrap(result.gradBiasHidden, [width]));
      return out;
  };
  return { packed, gradient: recording ? gradient : null };
}

interface BackwardCall {
  steps: number;
  lengths: readonly number[] | null;
  reverse: boolean;
  batchFirst: boolean;
  needWeightGradients: boolean;
  nonlinearity: 'tanh' | 'relu';
  /** The backward's tensor arguments, by kernel argument name (`cell`, `gates`, `cells`, `gradCell` only where the cell has them). */
  tensors: Record<'weightHidden' | 'hidden' | 'output' | 'gradOutput' | 'gradHidden', Tensor> & Record<'cell' | 'gates' | 'cells' | 'gradCell', Tensor | null>;
}

interface BackwardHandles {
  gradProjected: unknown;
  gradHidden: unknown;
  gradCell?: unknown;
  gradWeightHidden: unknown;
  gradBiasHidden: unknown;
}

/**
 * The backward kernel of `cell` on `backend` when it has one; otherwise the plain-JS reference
 * backward on host copies (for backends that read synchronously), its results uploaded back.
 */
function runBackward(backend: Backend, cell: SequenceCell, call: BackwardCall): BackwardHandles {
  const kernel = backwardKernels[cell];
  const { tensors, nonlinearity, ...common } = call;
  const native = backend.supports?.(kernel) === true && backend.runFused !== undefined;
  if (!native && !backend.readSync) {
    throw new BackendError(forwardKernels[cell], `the ${backend.name} backend has no ${kernel} kernel and no synchronous reads for the JS backward; use implementation 'auto' or 'composed' to train`);
  }
  // Row-major views of every tensor argument: on the backend, or host copies for the JS kernels.
  const views = Object.fromEntries(
    Object.entries(tensors).map(([name, tensor]) => {
      if (tensor === null) return [name, null];
      const dense = tensor.contiguous();
      const handle = native ? dense.view.handle : Float32Array.from(dense.dataSync() as Float32Array);
      return [name, { handle, dtype: 'float32', shape: dense.shape, strides: dense.strides, offset: native ? dense.offset : 0 } satisfies View];
    }),
  ) as Record<keyof BackwardCall['tensors'], View<never> | null>;
  const { weightHidden, hidden, output, gradOutput, gradHidden, cell: c0, gates, cells, gradCell } = views;
  const args = { ...common, weightHidden: weightHidden!, hidden: hidden!, output: output!, gradOutput, gradHidden };
  if (native) {
    if (cell === 'lstm') return backend.runFused!('lstmSequenceBackward', { ...args, cell: c0!, gates: gates!, cells: cells!, gradCell });
    if (cell === 'gru') return backend.runFused!('gruSequenceBackward', { ...args, gates: gates! });
    return backend.runFused!('rnnSequenceBackward', { ...args, nonlinearity });
  }
  const result: Partial<Record<keyof BackwardHandles, DataArray | null>> =
    cell === 'lstm'
      ? lstmSequenceBackwardKernel({ ...args, cell: c0!, gates: gates!, cells: cells!, gradCell })
      : cell === 'gru'
        ? gruSequenceBackwardKernel({ ...args, gates: gates! })
        : rnnSequenceBackwardKernel({ ...args, nonlinearity });
  const upload = (data: DataArray | null | undefined): unknown => (data ? backend.upload(data, 'float32') : null);
  return {
    gradProjected: upload(result.gradProjected),
    gradHidden: upload(result.gradHidden),
    gradCell: upload(result.gradCell),
    gradWeightHidden: upload(result.gradWeightHidden),
    gradBiasHidden: upload(result.gradBiasHidden),
  };
}

/**
 * One direction of one LSTM layer over whole sequences (PyTorch's `nn.LSTM` cell, gates i, f, g,
 * o), from the input projection `projected` = x·W_ihᵀ + b_ih. Runs the backend's fused
 * `lstmSequence` kernel and backpropagates through time on `lstmSequenceBackward` (WebAssembly
 * SIMD on the CPU backend), or composed tensor ops per step on backends without the kernel and
 * with a projection (`weightHr`). Second-order gradients are not supported.
 *
 * @param projected - `[B, T, 4H]` (`[T, B, 4H]` with `batchFirst: false`), any strides.
 * @param weightHh - `[4H, H]` (`[4H, P]` with `weightHr`): W_hh.
 * @param options - `biasHh` [4H], `h0` [B, H] (P), `c0` [B, H], `weightHr` [P, H], `reverse`, `lengths`, `batchFirst`.
 * @returns `output` `[B, T, H]` (P with `weightHr`), `hN` `[B, H]` (P), `cN` `[B, H]`.
 * @example
 * ```ts
 * const projected = linear(x, weightIh, biasIh); // x [B, T, I] → [B, T, 4H]
 * const { output, hN, cN } = lstmSequence(projected, weightHh, { biasHh, lengths: [5, 3] });
 * ```
 */
export function lstmSequence(projected: Tensor, weightHh: Tensor, options: LstmSequenceOptions = {}): LstmSequenceResult {
  const result = runSequence('lstmSequence', problemOf('lstmSequence', 'lstm', projected, weightHh, options), options.implementation);
  return { output: result.output, hN: result.hN, cN: result.cN! };
}

/**
 * One direction of one GRU layer over whole sequences (PyTorch's `nn.GRU` cell: r, z = σ(·),
 * n = tanh(x_n + r ∘ (W_hn h + b_hn)), h' = (1 − z) ∘ n + z ∘ h), from `projected` = x·W_ihᵀ + b_ih;
 * `biasHh` must be b_hh alone. Fused `gruSequence` / `gruSequenceBackward` kernels (WebAssembly SIMD on the CPU backend), else composed.
 *
 * @param projected - `[B, T, 3H]` (`[T, B, 3H]` with `batchFirst: false`).
 * @param weightHh - `[3H, H]`.
 * @returns `output` `[B, T, H]` and `hN` `[B, H]`.
 * @example
 * ```ts
 * const { output, hN } = gruSequence(linear(x, weightIh, biasIh), weightHh, { biasHh, reverse: true });
 * ```
 */
export function gruSequence(projected: Tensor, weightHh: Tensor, options: RecurrentSequenceOptions = {}): RecurrentSequenceResult {
  const { output, hN } = runSequence('gruSequence', problemOf('gruSequence', 'gru', projected, weightHh, { ...options, weightHr: null }), options.implementation);
  return { output, hN };
}

/**
 * One direction of one Elman RNN layer over whole sequences (PyTorch's `nn.RNN`:
 * h' = tanh or relu of (projected + W_hh h + b_hh)). Fused `rnnSequence` /
 * `rnnSequenceBackward` kernels (WebAssembly SIMD on the CPU backend), else composed.
 *
 * @param projected - `[B, T, H]` (`[T, B, H]` with `batchFirst: false`).
 * @param weightHh - `[H, H]`.
 * @returns `output` `[B, T, H]` and `hN` `[B, H]`.
 * @example
 * ```ts
 * const { output, hN } = rnnSequence(linear(x, weightIh, biasIh), weightHh, { nonlinearity: 'relu' });
 * ```
 */
export function rnnSequence(projected: Tensor, weightHh: Tensor, options: RnnSequenceOptions = {}): RecurrentSequenceResult {
  const nonlinearity = options.nonlinearity ?? 'tanh';
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new ValueError('rnnSequence', 'nonlinearity', `expected 'tanh' or 'relu', got ${String(nonlinearity)}`);
  const cell = nonlinearity === 'relu' ? 'rnn_relu' : 'rnn_tanh';
  const { output, hN } = runSequence('rnnSequence', problemOf('rnnSequence', cell, projected, weightHh, { ...options, weightHr: null }), options.implementation);
  return { output, hN };
}
