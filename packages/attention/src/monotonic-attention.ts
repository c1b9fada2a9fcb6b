import {
  Module,
  ShapeError,
  Tensor,
  ValueError,
  add,
  broadcastShapes,
  concat,
  eq,
  exp,
  formatShape,
  full,
  ge,
  gt,
  matmul,
  mul,
  noGrad,
  randn,
  sigmoid,
  slice,
  softplus,
  sub,
  transpose,
  unsqueeze,
  where,
  zeros,
  type Backend,
  type Generator,
} from '@heed/tensor';
import { ScoreModule, resolveScore, type ScoreLike } from '@heed/scoring';
import type { AttentionResult } from './attend.js';
import type { AttentionMask } from './masks.js';
import { maskScores } from './weighting/mask-scores.js';

/** Options of {@link monotonicAlignment}. */
export interface MonotonicAlignmentOptions {
  /**
   * `'expected'` (default): the expected alignment of the stochastic stop process, differentiable,
   * for training. `'hard'`: the greedy stop rule used at inference, one-hot rows (no gradient).
   */
  mode?: 'expected' | 'hard';
  /** Bool (true = may attend) or additive mask, broadcastable to `[..., L, S]`; masked keys never stop. */
  mask?: AttentionMask | null;
  /** Std of the Gaussian noise added to the energies before the sigmoid (expected mode only; default 0). */
  noise?: number;
  /** Generator for the noise (default: the global one). */
  generator?: Generator;
  /**
   * The alignment before the first output step, `[..., S]` (α₀). Default: all mass on key 0, as
   * in the paper. Pass the last row of a previous call to decode one step at a time; in hard
   * mode the search starts at its first positive entry.
   */
  previousAlignment?: Tensor;
}

const OP = 'monotonicAlignment';

/** Bool `[S, S]` with true where `k <= j` (row k, column j). */
function upperTriangle(keys: number, backend: Backend, strict: boolean): Tensor {
  const data = new Uint8Array(keys * keys);
  for (let row = 0; row < keys; row++) for (let column = strict ? row + 1 : row; column < keys; column++) data[row * keys + column] = 1;
  return Tensor.fromData(data, [keys, keys], 'bool', backend);
}

function initialAlignment(op: string, previous: Tensor | undefined, energy: Tensor): Tensor {
  const keys = energy.shape[energy.rank - 1];
  if (previous === undefined) {
    const data = new Float32Array(keys);
    data[0] = 1;
    return Tensor.fromData(data, [1, keys], 'float32', energy.backend);
  }
  const batch = energy.shape.slice(0, -2);
  const fits = previous.rank >= 1 && previous.rank <= energy.rank - 1 && previous.shape[previous.rank - 1] === keys;
  let broadcastable = fits;
  if (fits) {
    try {
      broadcastable = broadcastShapes(op, previous.shape.slice(0, -1), batch).length === batch.length;
    } catch {
      broadcastable = false;
    }
  }
  if (!broadcastable) {
    throw new ShapeError(op, 'previousAlignment', `[..., S = ${keys}] broadcastable to the energies' batch dims`, previous.shape, `energy is ${formatShape(energy.shape)}`);
  }
  return unsqueeze(previous.float(), -2);
}

/**
 * The expected alignment (Raffel et al. 2017), one output step at a time:
 * `α_i,j = p_i,j · Σ_{k≤j} α_{i−1,k} Π_{l=k}^{j−1} (1 − p_i,l)`. The products are taken in log
 * space as differences of a running sum of `log(1 − p) = −softplus(e)`, each at most 0, so
 * nothing is divided by a vanishing cumulative product (the instability of the paper’s parallel form).
 */
function expectedAlignment(energy: Tensor, initial: Tensor): Tensor {
  const queries = energy.shape[energy.rank - 2];
  const keys = energy.shape[energy.rank - 1];
  const stop = sigmoid(energy);
  const strict = upperTriangle(keys, energy.backend, true).float();
  const inclusive = upperTriangle(keys, energy.backend, false);
  // passed[..., i, j] = Σ_{l<j} −log(1 − p_i,l): how much "not stopping" costs to reach key j.
  const passed = matmul(softplus(energy), strict);
  const rows: Tensor[] = [];
  let previous = initial;
  for (let step = 0; step < queries; step++) {
    const row = slice(passed, -2, step, step + 1);
    // carry[k, j] = Π_{l=k}^{j−1} (1 − p_step,l) = exp(passed_k − passed_j) for k ≤ j, else 0.
    const carry = exp(where(inclusive, sub(transpose(row, -2, -1), row), -Infinity));
    previous = mul(slice(stop, -2, step, step + 1), matmul(previous, carry));
    rows.push(previous);
  }
  return concat(rows, -2);
}

/** The greedy stop rule: from the previous position, the first key with `p ≥ 0.5` (energy ≥ 0). */
function hardAlignment(energy: Tensor, initial: Tensor): Tensor {
  const queries = energy.shape[energy.rank - 2];
  const keys = energy.shape[energy.rank - 1];
  const stops = ge(energy, 0).float();
  const strict = upperTriangle(keys, energy.backend, true).float();
  const inclusive = upperTriangle(keys, energy.backend, false).float();
  const rows: Tensor[] = [];
  let previous = initial;
  for (let step = 0; step < queries; step++) {
    const reachable = gt(matmul(previous, inclusive), 0).float();
    const candidates = mul(slice(stops, -2, step, step + 1), reachable);
    previous = mul(candidates, eq(matmul(candidates, strict), 0).float());
    rows.push(previous);
  }
  return concat(rows, -2);
}

/**
 * Monotonic alignments (Raffel, Luong, Liu, Weiss & Eck 2017, "Online and Linear-Time Attention
 * by Enforcing Monotonic Alignments") from energies `e [..., L, S]`: at output step `i` the
 * model scans the keys left to right from where it stopped at step `i − 1`, and stops at key `j`
 * with probability `p_i,j = sigmoid(e_i,j)`.
 *
 * - `mode: 'expected'` (training): the expected alignment `α_i,j = p_i,j Σ_{k≤j} α_{i−1,k}
 *   Π_{l=k}^{j−1} (1 − p_i,l)`, differentiable by autograd. Rows sum to at most 1: the
 *   missing mass is the chance of running off the end without stopping. `noise` adds Gaussian
 *   noise before the sigmoid, which the paper uses to push `p` towards 0 or 1 so that training
 *   matches hard inference.
 * - `mode: 'hard'` (inference): attend to the first key `j ≥` the previous position with
 *   `p_i,j ≥ 0.5` (energy ≥ 0): one-hot rows. A step that never stops gives a zero row, and so
 *   do all later steps (the scan has run off the end), as the expected alignment and
 *   TensorFlow's `monotonic_attention(mode='hard')` do.
 *
 * Cost: a loop over the `L` output steps; each builds an `[..., S, S]` matrix of products, so
 * training keeps `L·S²` numbers per batch row for the backward pass.
 *
 * Legend: `B` batch, `L` output (query) steps, `S` memory (key) length; leading dims pass through.
 *
 * @param energy - `[..., L, S]`, e.g. a score from `@heed/scoring` plus a scalar bias.
 * @returns alignments `[..., L, S]`.
 * @example
 * ```ts
 * const energy = generalScore(decoderStates, encoderOutputs, weight).sub(1); // [B, L, S]
 * const expected = monotonicAlignment(energy, { noise: 1, generator: new Generator(0) });
 * const hard = monotonicAlignment(energy, { mode: 'hard' });               // one-hot rows
 * const context = expected.matmul(encoderOutputs);                          // [B, L, D]
 * ```
 */
export function monotonicAlignment(energy: Tensor, options: MonotonicAlignmentOptions = {}): Tensor {
  return monotonicAlignmentAs(OP, energy, options);
}

function monotonicAlignmentAs(op: string, energy: Tensor, options: MonotonicAlignmentOptions): Tensor {
  if (energy.rank < 2 || energy.shape[energy.rank - 1] < 1) throw new ShapeError(op, 'energy', '[..., L, S] with S ≥ 1', energy.shape);
  const mode = options.mode ?? 'expected';
  if (mode !== 'expected' && mode !== 'hard') throw new ValueError(op, 'mode', `must be 'expected' or 'hard', got '${String(mode)}'`);
  const noise = options.noise ?? 0;
  if (!(noise >= 0 && Number.isFinite(noise))) throw new ValueError(op, 'noise', `must be a finite number ≥ 0, got ${noise}`);
  const initial = initialAlignment(op, options.previousAlignment, energy);
  const { scores } = maskScores(op, energy, options.mask);
  if (energy.shape[energy.rank - 2] === 0) return zeros(energy.shape, { backend: energy.backend });
  if (mode === 'hard') return noGrad(() => hardAlignment(scores.detach(), initial.detach()));
  const random = { backend: energy.backend, ...(options.generator ? { generator: options.generator } : {}) };
  return expectedAlignment(noise > 0 ? add(scores, mul(randn(scores.shape, random), noise)) : scores, initial);
}

/** Options of {@link monotonicAttention}. */
export interface MonotonicAttentionOptions extends MonotonicAlignmentOptions {
  /** How queries meet keys (default `'scaledDot'`): a name, a function or a score module. */
  score?: ScoreLike;
}

function checkValue(op: string, weights: Tensor, value: Tensor): void {
  const keys = weights.shape[weights.rank - 1];
  if (value.rank < 2 || value.shape[value.rank - 2] !== keys) {
    throw new ShapeError(op, 'value', `[..., S = ${keys}, Dv]`, value.shape, `alignments are ${formatShape(weights.shape)}`);
  }
}

/**
 * Monotonic attention: `energy = score(query, key)`, alignments from {@link monotonicAlignment},
 * and the context `weights · value`.
 *
 * Legend: `B` batch, `L` output (query) steps, `S` memory (key) length, `Dq`/`Dk`/`Dv` depths.
 *
 * @param query - `[..., L, Dq]` (decoder states).
 * @param key - `[..., S, Dk]` (the memory).
 * @param value - `[..., S, Dv]`.
 * @returns `{ output [..., L, Dv], weights [..., L, S] }`.
 * @example
 * ```ts
 * const { output, weights } = monotonicAttention(decoderStates, encoderOutputs, encoderOutputs, { score: 'dot', mode: 'hard' });
 * ```
 */
export function monotonicAttention(query: Tensor, key: Tensor, value: Tensor, options: MonotonicAttentionOptions = {}): AttentionResult {
  const { score, ...rest } = options;
  const weights = monotonicAlignmentAs('monotonicAttention', resolveScore(score ?? 'scaledDot')(query, key), rest);
  checkValue('monotonicAttention', weights, value);
  return { output: matmul(weights, value), weights };
}

/** Options of the {@link MonotonicAttention} module. */
export interface MonotonicAttentionModuleOptions {
  /** The score (default `'scaledDot'`); a score module is registered as the `score` sub-module. */
  score?: ScoreLike;
  /** Initial value of the learned scalar bias `r` added to the energies (default 0). */
  scoreBias?: number;
  /** Std of the pre-sigmoid noise in training mode (default 1, the paper's unit-variance noise). */
  noise?: number;
  /** What evaluation mode computes (default `'hard'`, the paper's test-time rule). */
  inference?: 'hard' | 'expected';
  /** Generator for the noise. */
  generator?: Generator;
}

/**
 * Monotonic attention as a module (Raffel et al. 2017): energies `score(query, key) + r` with a
 * learned scalar `r` (`scoreBias`), expected alignments with pre-sigmoid noise in training
 * mode, hard monotonic alignments in evaluation mode. For long memories start `r` negative (as
 * TensorFlow's `BahdanauMonotonicAttention` advises) so early steps do not stop at once.
 *
 * Legend: `B` batch, `L` output (query) steps, `S` memory (key) length, `Dq`/`Dk`/`Dv` depths.
 *
 * @example
 * ```ts
 * const attention = new MonotonicAttention({ score: new GeneralScore(64), scoreBias: -2, generator: new Generator(1) });
 * attention.forward(decoderStates, encoderOutputs).output;  // training: expected alignments, [B, L, 64]
 * attention.eval();
 * attention.forward(decoderStates, encoderOutputs).weights; // one-hot (or zero) rows, [B, L, S]
 * ```
 */
export class MonotonicAttention extends Module {
  readonly score: ScoreLike;
  /** The scalar `r`, `[1]`. */
  readonly scoreBias: Tensor;
  readonly #score: (query: Tensor, key: Tensor) => Tensor;

  constructor(readonly options: MonotonicAttentionModuleOptions = {}) {
    super();
    const noise = options.noise ?? 1;
    if (!(noise >= 0 && Number.isFinite(noise))) throw new ValueError('MonotonicAttention', 'noise', `must be a finite number ≥ 0, got ${noise}`);
    const inference = options.inference ?? 'hard';
    if (inference !== 'hard' && inference !== 'expected') throw new ValueError('MonotonicAttention', 'inference', `must be 'hard' or 'expected', got '${String(inference)}'`);
    this.score = options.score ?? 'scaledDot';
    if (this.score instanceof ScoreModule) this.registerModule('score', this.score);
    this.#score = resolveScore(this.score);
    this.scoreBias = this.registerParameter('scoreBias', full([1], options.scoreBias ?? 0));
  }

  /**
   * @param query - `[..., L, Dq]`.
   * @param key - `[..., S, Dk]`.
   * @param value - `[..., S, Dv]` (default `key`).
   * @param options - `mask` and `previousAlignment`, as in {@link monotonicAlignment}.
   * @returns `{ output [..., L, Dv], weights [..., L, S] }`.
   */
  forward(query: Tensor, key: Tensor, value: Tensor = key, options: Pick<MonotonicAlignmentOptions, 'mask' | 'previousAlignment'> = {}): AttentionResult {
    const energy = add(this.#score(query, key), this.scoreBias);
    const weights = monotonicAlignmentAs('MonotonicAttention', energy, {
      ...options,
      mode: this.training ? 'expected' : (this.options.inference ?? 'hard'),
      noise: this.training ? (this.options.noise ?? 1) : 0,
      ...(this.options.generator ? { generator: this.options.generator } : {}),
    });
    checkValue('MonotonicAttention', weights, value);
    return { output: matmul(weights, value), weights };
  }
}
