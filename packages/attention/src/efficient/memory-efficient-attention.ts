/**
 * `memoryEfficientAttention`: exact softmax attention without the `L × S` weight matrix
 * (FlashAttention's algorithm: key blocks with an online softmax forward, a backward that
 * recomputes the weights from the per-row log-sum-exp).
 *
 * Legend: `B` batch, `H` heads, `L` query length, `S` key length, `D` head dim, `Dv` value dim.
 */
import { BackendError, GradientError, Tensor, ValueError, concat, isGradEnabled, noGrad, record, zeros, type Backend, type View } from '@heed/tensor';
import { prepareAttentionInputs, type AttentionInputs, type DenseAttentionOptions } from './attention-inputs.js';
import { checkWhole } from './attention-pattern.js';
import { blockwiseAttention, rowsPerBlock } from './blockwise-attention.js';

/** Options of {@link memoryEfficientAttention}. */
export interface MemoryEfficientAttentionOptions extends DenseAttentionOptions {
  /** Also return the per-row log-sum-exp (for `attentionWeightsForRows`). */
  returnLogSumExp?: boolean;
  /** Query rows per block of the composed path (default: about 4 M scores per block). */
  blockSize?: number;
  /**
   * `'fused'`: the backend's `attentionForward`/`attentionBackward` kernels (a `BackendError` if
   * it has none); `'composed'`: query blocks of ordinary ops (matmul, softmax), on any backend;
   * `'auto'` (default): fused when the backend supports it.
   */
  implementation?: 'auto' | 'fused' | 'composed';
}

/** The output and the per-row log-sum-exp of the scores over allowed keys. */
export interface MemoryEfficientAttentionResult {
  /** `[..., L, Dv]`. */
  output: Tensor;
  /** `[..., L]`: `log Σ_j exp(score_ij)` over allowed keys; `-Infinity` for a row with none. */
  logSumExp: Tensor;
}

/** A slice `[start, start + count)` of the flattened batch, with the mask's offset and stride there. */
interface BatchChunk {
  start: number;
  count: number;
  maskOffset: number;
  maskStride: number;
}

/**
 * Splits the flattened batch into chunks whose mask rows sit at one stride from each other, so
 * each chunk is one fused-kernel call over a `[count, L, S]` mask view (a `[B, 1, L, S]` mask
 * under `H > 1` heads becomes `B` calls). Without a mask the whole batch is one chunk.
 */
function batchChunks(inputs: AttentionInputs): BatchChunk[] {
  const total = inputs.batch.reduce((product, size) => product * size, 1);
  const keep = inputs.keep;
  if (!keep) return [{ start: 0, count: total, maskOffset: 0, maskStride: 0 }];
  const sizes = inputs.batch;
  const strides = sizes.map((size, axis) => (keep.shape[axis] === 1 ? 0 : keep.strides[axis]));
  // The longest suffix of batch dims that merges into a single stride.
  let split = sizes.length;
  let inner = 1;
  let stride = 0;
  let expected: number | null = null;
  for (let axis = sizes.length - 1; axis >= 0; axis--) {
    if (sizes[axis] === 1) {
      split = axis;
      continue;
    }
    if (expected === null) stride = strides[axis];
    else if (strides[axis] !== expected) break;
    expected = strides[axis] * sizes[axis];
    inner *= sizes[axis];
    split = axis;
  }
  const chunks: BatchChunk[] = [];
  const outer = total / inner;
  for (let index = 0; index < outer; index++) {
    let rest = index;
    let offset = keep.offset;
    for (let axis = split - 1; axis >= 0; axis--) {
      offset += (rest % sizes[axis]) * strides[axis];
      rest = Math.floor(rest / sizes[axis]);
    }
    chunks.push({ start: index * inner, count: inner, maskOffset: offset, maskStride: stride });
  }
  return chunks;
}

function rowsOf(tensor: Tensor, total: number): Tensor {
  return tensor.detach().reshape([total, tensor.shape[tensor.rank - 2], tensor.shape[tensor.rank - 1]]);
}

function chunkView(tensor: Tensor, chunk: BatchChunk): View {
  const [, rows, columns] = tensor.shape as [number, number, number];
  return { ...tensor.view, shape: [chunk.count, rows, columns], offset: tensor.offset + chunk.start * rows * columns };
}

/** The fused path: one `attentionForward` call per batch chunk, and a recomputing backward. */
function fusedAttention(backend: Backend, query: Tensor, key: Tensor, value: Tensor, inputs: AttentionInputs): MemoryEfficientAttentionResult {
  const total = inputs.batch.reduce((product, size) => product * size, 1);
  const { queryLength, keyLength } = inputs;
  const valueDepth = value.shape[value.rank - 1];
  const [q, k, v] = [rowsOf(query, total), rowsOf(key, total), rowsOf(value, total)];
  const chunks = batchChunks(inputs);
  const keep = inputs.keep;
  const maskStrides = keep ? [keep.shape[keep.rank - 2] === 1 ? 0 : keep.strides[keep.rank - 2], keep.shape[keep.rank - 1] === 1 ? 0 : keep.strides[keep.rank - 1]] : [];
  const common = (chunk: BatchChunk) => ({
    query: chunkView(q, chunk),
    key: chunkView(k, chunk),
    value: chunkView(v, chunk),
    mask: keep
      ? { ...keep.view, shape: [chunk.count, queryLength, keyLength], strides: [chunk.maskStride, ...maskStrides], offset: chunk.maskOffset }
      : null,
    causal: inputs.causal,
    scale: inputs.scale,
    window: inputs.window,
  });
  const join = (parts: Tensor[]): Tensor => (parts.length === 1 ? parts[0] : noGrad(() => concat(parts, 0)));
  const forward = chunks.map((chunk) => backend.runFused!('attentionForward', common(chunk)));
  const outputRows = join(forward.map((result, index) => Tensor.fromHandle(backend, result.output, [chunks[index].count, queryLength, valueDepth], 'float32')));
  const logSumExp = join(forward.map((result, index) => Tensor.fromHandle(backend, result.logSumExp, [chunks[index].count, queryLength], 'float32')));
  const outputShape = [...inputs.batch, queryLength, valueDepth];
  const output = record('memoryEfficientAttention', outputRows.reshape(outputShape), [query, key, value], (grad) => {
    if (isGradEnabled()) {
      throw new GradientError('memoryEfficientAttention', 'the fused kernel has no second-order gradient (backward with createGraph); use the composed path or scaledDotProductAttention');
    }
    const gradRows = grad.reshape([total, queryLength, valueDepth]).contiguous();
    const results = chunks.map((chunk) =>
      backend.runFused!('attentionBackward', {
        ...common(chunk),
        output: chunkView(outputRows, chunk),
        logSumExp: { ...logSumExp.view, shape: [chunk.count, queryLength], offset: logSumExp.offset + chunk.start * queryLength },
        gradOutput: chunkView(gradRows, chunk),
      }),
    );
    const collect = (pick: (result: (typeof results)[number]) => unknown, like: Tensor): Tensor =>
      join(results.map((result, index) => Tensor.fromHandle(backend, pick(result), [chunks[index].count, like.shape[1], like.shape[2]], 'float32'))).reshape(
        [...inputs.batch, like.shape[1], like.shape[2]],
      );
    return [collect((result) => result.gradQuery, q), collect((result) => result.gradKey, k), collect((result) => result.gradValue, v)];
  });
  return { output, logSumExp: logSumExp.reshape([...inputs.batch, queryLength]) };
}

/**
 * Exact softmax attention in memory linear in the sequence length: FlashAttention's algorithm
 * (keys in blocks with an online softmax) through the backend's fused `attentionForward` /
 * `attentionBackward` kernels when it has them, else composed ops over query blocks. The backward
 * pass recomputes the weights from the saved per-row log-sum-exp: only the output and `[..., L]`
 * log-sum-exps are kept. Equal to `scaledDotProductAttention` with the same bool mask, causal
 * rule (bottom-right aligned) and window; a query with no allowed key gives a zero output and
 * zero gradients.
 *
 * @param query - `[..., L, D]` (for example `[B, H, L, D]`).
 * @param key - `[..., S, D]`, same leading dims.
 * @param value - `[..., S, Dv]`.
 * @param options.mask - bool, broadcastable to `[..., L, S]` (true = may attend).
 * @param options.causal - bottom-right causal rule.
 * @param options.window - sliding window (reach `W` or `[before, after]`), never materialised.
 * @param options.returnLogSumExp - return `{ output, logSumExp }` instead of the output.
 * @param options.implementation - `'auto'` (default), `'fused'` or `'composed'`.
 * @returns `[..., L, Dv]` (or `{ output, logSumExp }`).
 * @example
 * ```ts
 * const query = randn([1, 1, 65536, 64]); // 64 Ki tokens: full attention would need 16 GiB
 * const out = memoryEfficientAttention(query, key, value, { causal: true }); // [1, 1, 65536, 64]
 * ```
 */
export function memoryEfficientAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options: MemoryEfficientAttentionOptions & { returnLogSumExp: true },
): MemoryEfficientAttentionResult;
export function memoryEfficientAttention(query: Tensor, key: Tensor, value: Tensor, options?: MemoryEfficientAttentionOptions): Tensor;
export function memoryEfficientAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options: MemoryEfficientAttentionOptions = {},
): Tensor | MemoryEfficientAttentionResult {
  const op = 'memoryEfficientAttention';
  const inputs = prepareAttentionInputs(op, query, key, value, options);
  if (options.blockSize !== undefined) checkWhole(op, 'blockSize', options.blockSize, 1);
  const implementation = options.implementation ?? 'auto';
  if (!['auto', 'fused', 'composed'].includes(implementation)) {
    throw new ValueError(op, 'implementation', `expected 'auto', 'fused' or 'composed', got ${String(implementation)}`);
  }
  const backend = query.backend;
  const fused = backend.supports?.('attentionForward') === true && backend.runFused !== undefined && key.backend === backend && value.backend === backend;
  if (implementation === 'fused' && !fused) {
    throw new BackendError(op, `the ${backend.name} backend has no fused attentionForward kernel; use implementation 'auto' or 'composed'`);
  }
  let result: MemoryEfficientAttentionResult;
  if (inputs.queryLength === 0 || inputs.keyLength === 0) {
    const create = { backend };
    result = {
      output: zeros([...inputs.batch, inputs.queryLength, value.shape[value.rank - 1]], create),
      logSumExp: zeros([...inputs.batch, inputs.queryLength], create).add(-Infinity),
    };
  } else if (fused && implementation !== 'composed') {
    result = fusedAttention(backend, query, key, value, inputs);
  } else {
    result = blockwiseAttention(query, key, value, inputs, rowsPerBlock(inputs, options.blockSize));
  }
  return options.returnLogSumExp ? result : result.output;
}
