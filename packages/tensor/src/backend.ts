import type { Shape } from './shape.js';

/** Element types. `float32` for values, `int32` for indices and targets, `bool` for masks. */
export type DType = 'float32' | 'int32' | 'bool';

/** The host array that holds elements of each dtype (`bool` is one byte per element, 0 or 1). */
export interface DTypeArrays {
  float32: Float32Array;
  int32: Int32Array;
  bool: Uint8Array;
}

/** Any host array a tensor can be read into. */
export type DataArray = DTypeArrays[DType];

/**
 * How a kernel sees a tensor: a backend handle plus a strided window onto it. Broadcast
 * dimensions have stride 0; transposes and slices are strides and offsets, not copies.
 */
export interface View<Handle = unknown> {
  readonly handle: Handle;
  readonly dtype: DType;
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
}

/** Elementwise functions of one argument. The result is float32. */
export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'abs'
  | 'sign'
  | 'sin'
  | 'cos'
  | 'erf'
  | 'reciprocal'
  | 'not';

/** Elementwise arithmetic of two broadcast arguments (float32 result). */
export type ArithmeticOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
/** Elementwise comparisons (bool result). */
export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
/** Elementwise logic on bool tensors (bool result). */
export type LogicalOp = 'and' | 'or' | 'xor';
/** Every elementwise binary op. */
export type BinaryOp = ArithmeticOp | CompareOp | LogicalOp;
/** Reductions over one axis. `argmax`/`argmin` give int32 indices (ties to the lowest index). */
export type ReduceOp = 'sum' | 'max' | 'min' | 'argmax' | 'argmin';

/**
 * Arguments and results of every kernel, keyed by kernel name. A backend implements each one;
 * the op wrappers in `@heed/tensor` have already checked shapes and dtypes, so a kernel never
 * sees bad input. Results are fresh handles holding row-major (contiguous) data.
 */
export interface Kernels<Handle> {
  /** Copies a strided view into a fresh row-major buffer (also changes dtype when `dtype` differs). */
  contiguous: { args: { x: View<Handle>; dtype: DType }; result: Handle };
  /** A buffer of `shape` filled with `value`. */
  fill: { args: { shape: Shape; dtype: DType; value: number }; result: Handle };
  /** `op(x)` elementwise; float32 out (bool for `not`). */
  unary: { args: { op: UnaryOp; x: View<Handle> }; result: Handle };
  /** `op(a, b)` elementwise; `a` and `b` are already broadcast to `shape` (stride 0 on broadcast axes). */
  binary: { args: { op: BinaryOp; a: View<Handle>; b: View<Handle>; shape: Shape }; result: Handle };
  /** `condition ? a : b` elementwise, all three broadcast to `shape`. */
  where: {
    args: { condition: View<Handle>; a: View<Handle>; b: View<Handle>; shape: Shape };
    result: Handle;
  };
  /** Reduces `axis` away (the result's shape is `x.shape` without `axis`). */
  reduce: { args: { op: ReduceOp; x: View<Handle>; axis: number }; result: Handle };
  /** Batched matrix product: `a` [B, M, K] times `b` [B, K, N] gives [B, M, N]. Batch strides may be 0. */
  matmul: { args: { a: View<Handle>; b: View<Handle> }; result: Handle };
  /** Softmax (or log-softmax when `log`) over the last axis, stable for large logits. */
  softmax: { args: { x: View<Handle>; log: boolean }; result: Handle };
  /** PyTorch's `gather`: `out[...i...] = x[...index[...i...]...]` along `axis`; `index` is int32, same rank. */
  gather: { args: { x: View<Handle>; axis: number; index: View<Handle> }; result: Handle };
  /** Zeros of `shape`, then `out[...index[i]...] += source[i]` along `axis` (the adjoint of gather). */
  scatterAdd: {
    args: { shape: Shape; axis: number; index: View<Handle>; source: View<Handle> };
    result: Handle;
  };
  /** Joins views along `axis` into `shape`. */
  concat: { args: { inputs: readonly View<Handle>[]; axis: number; shape: Shape }; result: Handle };
}

/**
 * The arguments every fused recurrent sweep (`lstmSequence`, `gruSequence`, `rnnSequence`) takes;
 * G is the cell's gate count (LSTM 4, GRU 3, RNN 1), T time steps, B batch, H hidden units.
 *
 * @example
 * ```ts
 * const args: RecurrentSweepArgs<Float32Array> = { projected, weightHidden, biasHidden: null, hidden, lengths: null, reverse: false, batchFirst: false };
 * ```
 */
export interface RecurrentSweepArgs<Handle> {
  /** `[T, B, G·H]`: x·W_ihᵀ (+ b_ih), any strides (batch-first data is a permuted view). */
  projected: View<Handle>;
  /** `[G·H, H]`: W_hh. */
  weightHidden: View<Handle>;
  /** `[G·H]`: b_hh (for LSTM and RNN it may hold b_ih + b_hh), or null. */
  biasHidden: View<Handle> | null;
  /** `[B, H]`: the initial hidden state. */
  hidden: View<Handle>;
  /** Each sequence's real steps (B integers in [1, T]), or null for all T. */
  lengths: readonly number[] | null;
  /** Run from each sequence's last real step down to step 0. */
  reverse: boolean;
  /** Order result rows `b * T + t` instead of `t * B + b`. */
  batchFirst: boolean;
}

/**
 * The arguments every recurrent backward kernel (`lstmSequenceBackward`, `gruSequenceBackward`,
 * `rnnSequenceBackward`) takes: the forward's `weightHidden`, initial `hidden`, `lengths`,
 * `reverse` and `batchFirst`, its saved `output` [T·B, H] (rows `t * B + b`, or `b * T + t` with
 * `batchFirst`), and the gradients of its results.
 *
 * @example
 * ```ts
 * const args: RecurrentSweepBackwardArgs<Float32Array> = { steps, weightHidden, hidden, lengths: null, reverse: false, batchFirst: false, output, gradOutput, gradHidden: null, needWeightGradients: true };
 * ```
 */
export interface RecurrentSweepBackwardArgs<Handle> {
  /** T, the time steps of the forward (the rows of `output` are T·B). */
  steps: number;
  /** `[G·H, H]`: W_hh. */
  weightHidden: View<Handle>;
  /** `[B, H]`: the initial hidden state. */
  hidden: View<Handle>;
  /** As in the forward. */
  lengths: readonly number[] | null;
  reverse: boolean;
  batchFirst: boolean;
  /** `[T·B, H]`: the forward's output rows. */
  output: View<Handle>;
  /** `[T·B, H]`: d loss / d output in the same rows, or null for zero. */
  gradOutput: View<Handle> | null;
  /** `[B, H]`: d loss / d final hidden state, or null for zero. */
  gradHidden: View<Handle> | null;
  /** Whether to compute `gradWeightHidden` and `gradBiasHidden` (they are null otherwise). */
  needWeightGradients: boolean;
}

/**
 * Optional fused kernels. A backend that implements one says so in `supports()`; callers fall
 * back to composed ops otherwise.
 */
export interface FusedKernels<Handle> {
  /**
   * Memory-efficient attention forward (FlashAttention's algorithm: key blocks, online softmax).
   * `query` [N, L, D], `key` [N, S, D], `value` [N, S, Dv]; `mask` (bool, true = may attend) is
   * broadcast to [N, L, S]; causal is bottom-right aligned. Returns `output` [N, L, Dv] and the
   * per-row `logSumExp` [N, L] (-Infinity for a row with no allowed key, whose output is 0).
   */
  attentionForward: {
    args: {
      query: View<Handle>;
      key: View<Handle>;
      value: View<Handle>;
      mask: View<Handle> | null;
      causal: boolean;
      scale: number;
      window: readonly [number, number] | null;
    };
    result: { output: Handle; logSumExp: Handle };
  };
  /** The backward of `attentionForward`, recomputing the weights block by block. */
  attentionBackward: {
    args: {
      query: View<Handle>;
      key: View<Handle>;
      value: View<Handle>;
      mask: View<Handle> | null;
      causal: boolean;
      scale: number;
      window: readonly [number, number] | null;
      output: View<Handle>;
      logSumExp: View<Handle>;
      gradOutput: View<Handle>;
    };
    result: { gradQuery: Handle; gradKey: Handle; gradValue: Handle };
  };
  /**
   * One direction of one LSTM layer over a whole sequence, PyTorch's gate order (i, f, g, o),
   * given the input projection `projected` [T, B, 4H] = x·W_ihᵀ + b_ih (any strides: batch-first
   * data is a permuted view), `weightHidden` [4H, H] (W_hh), `biasHidden` [4H] or null, and the
   * initial `hidden`/`cell` [B, H]. `lengths` (B integers in [1, T], or null for all T) marks each
   * sequence's real steps: padded steps keep the state and output zeros. `reverse` runs from each
   * sequence's last real step down to step 0. Rows of the [T·B, ·] results are ordered
   * `t * B + b`, or `b * T + t` with `batchFirst`: `output` (rows of H), the final `hidden` and
   * `cell` [B, H], and with `saveForBackward` the gate activations `gates` (rows of 4H: i, f, g, o)
   * and cell states `cells` (rows of H), zeros at padded steps.
   */
  lstmSequence: {
    args: RecurrentSweepArgs<Handle> & { cell: View<Handle>; saveForBackward: boolean };
    result: { output: Handle; hidden: Handle; cell: Handle; gates: Handle | null; cells: Handle | null };
  };
  /**
   * One direction of one GRU layer over a whole sequence, PyTorch's gates (r, z, n with
   * n = tanh(x_n + r ∘ (W_hn h + b_hn))), with the same conventions as `lstmSequence`:
   * `projected` [T, B, 3H], `weightHidden` [3H, H], `biasHidden` [3H] or null, `hidden` [B, H].
   * Returns `output` (rows of H), the final `hidden` [B, H], and with `saveForBackward` `gates`
   * (rows of 4H: r, z, n, W_hn·h + b_hn), zeros at padded steps.
   */
  gruSequence: {
    args: RecurrentSweepArgs<Handle> & { saveForBackward: boolean };
    result: { output: Handle; hidden: Handle; gates: Handle | null };
  };
  /**
   * One direction of one Elman RNN layer over a whole sequence, PyTorch's
   * `h' = act(x·W_ihᵀ + b_ih + W_hh h + b_hh)` with `nonlinearity` `'tanh'` or `'relu'`, with the
   * same conventions as `lstmSequence`: `projected` [T, B, H], `weightHidden` [H, H],
   * `biasHidden` [H] or null, `hidden` [B, H]. Returns `output` (rows of H; the backward pass
   * needs nothing else) and the final `hidden` [B, H].
   */
  rnnSequence: {
    args: RecurrentSweepArgs<Handle> & { nonlinearity: 'tanh' | 'relu' };
    result: { output: Handle; hidden: Handle };
  };
  /**
   * Backpropagation through time of `lstmSequence` (optional even where the forward exists:
   * callers fall back to a plain-JS backward). Takes the forward's arguments and saved results
   * (`output`, `gates`, `cells`, in the forward's row order) and the gradients of its results:
   * `gradOutput` (rows of H, or null for zero), `gradHidden` and `gradCell` ([B, H] or null).
   * Returns `gradProjected` (rows of 4H in the forward's row order, zeros at padded steps), the
   * gradients of the initial `hidden` and `cell` [B, H], and, when `needWeightGradients`, those of
   * `weightHidden` [4H, H] (`Σ_t dgates_tᵀ h_{t−1}`) and `biasHidden` [4H] (else null).
   */
  lstmSequenceBackward: {
    args: RecurrentSweepBackwardArgs<Handle> & {
      cell: View<Handle>;
      gates: View<Handle>;
      cells: View<Handle>;
      gradCell: View<Handle> | null;
    };
    result: { gradProjected: Handle; gradHidden: Handle; gradCell: Handle; gradWeightHidden: Handle | null; gradBiasHidden: Handle | null };
  };
  /**
   * Backpropagation through time of `gruSequence`, with the conventions of
   * `lstmSequenceBackward`: `gates` are the forward's saved rows of 4H (r, z, n, W_hn·h + b_hn).
   * Returns `gradProjected` (rows of 3H), `gradHidden` [B, H], and with `needWeightGradients`
   * `gradWeightHidden` [3H, H] and `gradBiasHidden` [3H] (whose n block is `r ∘ dn`, unlike
   * `gradProjected`'s).
   */
  gruSequenceBackward: {
    args: RecurrentSweepBackwardArgs<Handle> & { gates: View<Handle> };
    result: { gradProjected: Handle; gradHidden: Handle; gradWeightHidden: Handle | null; gradBiasHidden: Handle | null };
  };
  /**
   * Backpropagation through time of `rnnSequence` (`nonlinearity` as in the forward), with the
   * conventions of `lstmSequenceBackward`; the forward's `output` is all it needs. Returns
   * `gradProjected` (rows of H), `gradHidden` [B, H], and with `needWeightGradients`
   * `gradWeightHidden` [H, H] and `gradBiasHidden` [H].
   */
  rnnSequenceBackward: {
    args: RecurrentSweepBackwardArgs<Handle> & { nonlinearity: 'tanh' | 'relu' };
    result: { gradProjected: Handle; gradHidden: Handle; gradWeightHidden: Handle | null; gradBiasHidden: Handle | null };
  };
}

/** Names of the required kernels. */
export type KernelName = keyof Kernels<unknown>;
/** Names of the optional fused kernels. */
export type FusedKernelName = keyof FusedKernels<unknown>;

/**
 * What a compute backend implements: storage (upload, read, dispose) and a small, closed set of
 * kernels. Everything else in heed (softmax's gradient, attention, LSTM cells, optimizers) is
 * composed from these, so a new backend gets every model for the price of these kernels.
 *
 * Tensors stay in backend handles between ops; data crosses to the host only through `read`
 * (always available) or `readSync` (absent on asynchronous devices such as WebGPU).
 *
 * @example
 * ```ts
 * import { setBackend, cpuBackend } from '@heed/tensor';
 * setBackend(cpuBackend());
 * ```
 */
export interface Backend<Handle = unknown> {
  /** A short name such as `cpu` or `gpu.js:webgl2`. */
  readonly name: string;
  /** The version of this interface the backend implements. */
  readonly specVersion: 1;
  /** Copies host data into a new handle. The backend may keep the array; callers never mutate it afterwards. */
  upload(data: DataArray, dtype: DType): Handle;
  /** Reads `size` elements of a handle back to the host. */
  read(handle: Handle, dtype: DType, size: number): Promise<DataArray>;
  /** Synchronous read, where the device allows it. */
  readSync?(handle: Handle, dtype: DType, size: number): DataArray;
  /** Frees a handle's memory. Called once per handle, when no tensor uses it. */
  dispose(handle: Handle): void;
  /** Runs a required kernel. */
  run<K extends KernelName>(kernel: K, args: Kernels<Handle>[K]['args']): Kernels<Handle>[K]['result'];
  /** Runs an optional fused kernel (call only when `supports(kernel)` is true). */
  runFused?<K extends FusedKernelName>(
    kernel: K,
    args: FusedKernels<Handle>[K]['args'],
  ): FusedKernels<Handle>[K]['result'];
  /** Whether an optional fused kernel is implemented. */
  supports?(kernel: FusedKernelName): boolean;
}
