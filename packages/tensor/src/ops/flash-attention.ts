/**
 * `flashAttention`: exact softmax attention without the `L × S` weight matrix, as one op with
 * its gradient and its fallback in one place: the backend's fused `attentionForward` /
 * `attentionBackward` kernels when it has them, else composed query blocks.
 *
 * Legend: `B…` leading (batch, head) dims, `L` query length, `S` key length, `D` head dim, `Dv` value dim.
 */
import { ShapeError, ValueError, DTypeError, BackendError, formatShape } from '../errors.js';
import { noGrad } from '../autograd.js';
import type { Backend, View } from '../backend.js';
import { Tensor } from '../tensor.js';
import { zeros } from './creation.js';
import { concat } from './movement.js';
import { blockwiseAttention, flashAttentionRules, rowsPerBlock, type AttentionKeepRule } from './flash-attention-blocks.js';
import { recordOp } from './op-set.js';

/** Options of {@link flashAttention}. */
export interface FlashAttentionOptions {
  /** Bool mask broadcastable to `[..., L, S]` (true = may attend), or null. */
  mask?: Tensor | null;
  /** Bottom-right aligned causal rule: query `i` sees key `j` iff `j <= i + S - L`. */
  causal?: boolean;
  /** Score scale (default `1 / √D`). */
  scale?: number;
  /** Keys `p - before … p + after` around the aligned position `p = i + S - L` (`Infinity` for no limit), or null. */
  window?: readonly [before: number, after: number] | null;
  /** Query rows per block of the composed path (default: about 4 M scores per block). */
  blockSize?: number;
  /** `'fused'` (the backend's kernels, else a `BackendError`), `'composed'`, or `'auto'` (default). */
  implementation?: 'auto' | 'fused' | 'composed';
}

/** The output and the per-row log-sum-exp of the scores over allowed keys. */
export interface FlashAttentionResult {
  /** `[..., L, Dv]`. */
  output: Tensor;
  /** `[..., L]`: `log Σ_j exp(score_ij)` over allowed keys; `-Infinity` for a row with none. */
  logSumExp: Tensor;
}

const OP = 'flashAttention';

function checkInputs(query: Tensor, key: Tensor, value: Tensor): void {
  for (const [name, tensor] of [['query', query], ['key', key], ['value', value]] as const) {
    if (!(tensor instanceof Tensor)) throw new ValueError(OP, name, 'expected a Tensor');
    if (tensor.dtype !== 'float32') throw new DTypeError(OP, name, 'float32', tensor.dtype);
  }
  if (query.rank < 2) throw new ShapeError(OP, 'query', '[..., L, D]', query.shape);
  const batch = query.shape.slice(0, -2);
  const depth = query.shape[query.rank - 1];
  const lead = batch.length > 0 ? `${batch.join(', ')}, ` : '';
  const sameBatch = (tensor: Tensor): boolean => tensor.rank === query.rank && tensor.shape.slice(0, -2).every((size, axis) => size === batch[axis]);
  if (!sameBatch(key) || key.shape[key.rank - 1] !== depth) throw new ShapeError(OP, 'key', `[${lead}S, ${depth}]`, key.shape, `query is ${formatShape(query.shape)}`);
  if (!sameBatch(value) || value.shape[value.rank - 2] !== key.shape[key.rank - 2]) {
    throw new ShapeError(OP, 'value', `[${lead}${key.shape[key.rank - 2]}, Dv]`, value.shape, `key is ${formatShape(key.shape)}`);
  }
}

/** The mask at the scores' rank (leading 1s added), checked to broadcast to `target`. */
function alignMask(mask: Tensor, target: readonly number[]): Tensor {
  if (mask.dtype !== 'bool') throw new DTypeError(OP, 'mask', 'bool (true = may attend)', mask.dtype);
  const fits = mask.rank <= target.length && mask.shape.every((size, axis) => size === 1 || size === target[target.length - mask.rank + axis]);
  if (!fits) throw new ShapeError(OP, 'mask', `broadcastable to ${formatShape(target)}`, mask.shape);
  return mask.rank === target.length ? mask : mask.reshape([...Array<number>(target.length - mask.rank).fill(1), ...mask.shape]);
}

/**
 * Exact softmax attention `softmax(q kᵀ · scale) v` over the allowed keys, in memory linear in
 * the sequence length (FlashAttention's algorithm: key blocks with an online softmax, a
 * backward that recomputes the weights from the per-row log-sum-exp). It runs the backend's
 * fused `attentionForward` / `attentionBackward` kernels when the backend has them, else
 * composed query blocks, with the same results. A query row with no allowed key gets a zero
 * output, a `-Infinity` log-sum-exp and zero gradients. Under `backward({ createGraph: true })`
 * the gradient is computed from composed ops, so higher-order gradients work on both paths.
 *
 * @param query - `[..., L, D]`.
 * @param key - `[..., S, D]`, the same leading dims.
 * @param value - `[..., S, Dv]`.
 * @returns `{ output [..., L, Dv], logSumExp [..., L] }`.
 * @example
 * ```ts
 * const query = randn([2, 4, 1024, 64]); // [B, H, L, D]
 * const { output, logSumExp } = flashAttention(query, query, query, { causal: true }); // [2, 4, 1024, 64], [2, 4, 1024]
 * ```
 */
export function flashAttention(query: Tensor, key: Tensor, value: Tensor, options: FlashAttentionOptions = {}): FlashAttentionResult {
  checkInputs(query, key, value);
  const batch = query.shape.slice(0, -2);
  const queryLength = query.shape[query.rank - 2];
  const keyLength = key.shape[key.rank - 2];
  const scale = options.scale ?? 1 / Math.sqrt(query.shape[query.rank - 1]);
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new ValueError(OP, 'scale', `expected a finite number, got ${String(options.scale)}`);
  const window = options.window ?? null;
  if (window && !(window.length === 2 && window.every((reach) => reach >= 0 && (Number.isInteger(reach) || reach === Infinity)))) {
    throw new ValueError(OP, 'window', `expected [before, after] of whole numbers >= 0 (or Infinity), got ${JSON.stringify(window)}`);
  }
  if (options.blockSize !== undefined && !(Number.isInteger(options.blockSize) && options.blockSize >= 1)) {
    throw new ValueError(OP, 'blockSize', `expected a whole number >= 1, got ${String(options.blockSize)}`);
  }
  const implementation = options.implementation ?? 'auto';
  if (!['auto', 'fused', 'composed'].includes(implementation)) throw new ValueError(OP, 'implementation', `expected 'auto', 'fused' or 'composed', got ${String(implementation)}`);
  const rule: AttentionKeepRule = {
    queryLength,
    keyLength,
    causal: options.causal === true,
    window,
    mask: options.mask ? alignMask(options.mask, [...batch, queryLength, keyLength]) : null,
  };
  const backend = query.backend;
  const fused = backend.supports?.('attentionForward') === true && backend.runFused !== undefined && key.backend === backend && value.backend === backend;
  if (implementation === 'fused' && !fused) throw new BackendError(OP, `the ${backend.name} backend has no fused attentionForward kernel; use implementation 'auto' or 'composed'`);
  if (queryLength === 0 || keyLength === 0) {
    return {
      output: zeros([...batch, queryLength, value.shape[value.rank - 1]], { backend }),
      logSumExp: zeros([...batch, queryLength], { backend }).add(-Infinity),
    };
  }
  const total = batch.reduce((product, size) => product * size, 1);
  if (fused && implementation !== 'composed') return fusedAttention(backend, query, key, value, rule, scale, batch);
  return blockwiseAttention(query, key, value, rule, scale, rowsPerBlock(total, queryLength, keyLength, options.blockSize));
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
function batchChunks(batch: readonly number[], keep: Tensor | null): BatchChunk[] {
  const total = batch.reduce((product, size) => product * size, 1);
  if (!keep) return [{ start: 0, count: total, maskOffset: 0, maskStride: 0 }];
  const strides = batch.map((size, axis) => (keep.shape[axis] === 1 ? 0 : keep.strides[axis]));
  // The longest suffix of batch dims that merges into a single stride.
  let split = batch.length;
  let inner = 1;
  let stride = 0;
  let expected: number | null = null;
  for (let axis = batch.length - 1; axis >= 0; axis--) {
    if (batch[axis] === 1) {
      split = axis;
      continue;
    }
    if (expected === null) stride = strides[axis];
    else if (strides[axis] !== expected) break;
    expected = strides[axis] * batch[axis];
    inner *= batch[axis];
    split = axis;
  }
  const chunks: BatchChunk[] = [];
  for (let index = 0; index < total / inner; index++) {
    let rest = index;
    let offset = keep.offset;
    for (let axis = split - 1; axis >= 0; axis--) {
      offset += (rest % batch[axis]) * strides[axis];
      rest = Math.floor(rest / batch[axis]);
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

/** The fused path: one `attentionForward` call per batch chunk, and a backward on `attentionBackward`. */
function fusedAttention(backend: Backend, query: Tensor, key: Tensor, value: Tensor, rule: AttentionKeepRule, scale: number, batch: readonly number[]): FlashAttentionResult {
  const total = batch.reduce((product, size) => product * size, 1);
  const { queryLength, keyLength, mask: keep } = rule;
  const valueDepth = value.shape[value.rank - 1];
  const [q, k, v] = [rowsOf(query, total), rowsOf(key, total), rowsOf(value, total)];
  const chunks = batchChunks(batch, keep);
  const maskStrides = keep ? [keep.shape[keep.rank - 2] === 1 ? 0 : keep.strides[keep.rank - 2], keep.shape[keep.rank - 1] === 1 ? 0 : keep.strides[keep.rank - 1]] : [];
  const common = (chunk: BatchChunk) => ({
    query: chunkView(q, chunk),
    key: chunkView(k, chunk),
    value: chunkView(v, chunk),
    mask: keep ? { ...keep.view, shape: [chunk.count, queryLength, keyLength], strides: [chunk.maskStride, ...maskStrides], offset: chunk.maskOffset } : null,
    causal: rule.causal,
    scale,
    window: rule.window,
  });
  const join = (parts: Tensor[]): Tensor => (parts.length === 1 ? parts[0] : noGrad(() => concat(parts, 0)));
  const forward = chunks.map((chunk) => backend.runFused!('attentionForward', common(chunk)));
  const outputRows = join(forward.map((result, index) => Tensor.fromHandle(backend, result.output, [chunks[index].count, queryLength, valueDepth], 'float32')));
  const logSumExp = join(forward.map((result, index) => Tensor.fromHandle(backend, result.logSumExp, [chunks[index].count, queryLength], 'float32')));
  const kernelBackward = (grad: Tensor): [Tensor, Tensor, Tensor] => {
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
      join(results.map((result, index) => Tensor.fromHandle(backend, pick(result), [chunks[index].count, like.shape[1], like.shape[2]], 'float32'))).reshape([...batch, like.shape[1], like.shape[2]]);
    return [collect((result) => result.gradQuery, q), collect((result) => result.gradKey, k), collect((result) => result.gradValue, v)];
  };
  const shaped = outputRows.reshape([...batch, queryLength, valueDepth]);
  const blockRows = rowsPerBlock(total, queryLength, keyLength, undefined);
  const output = recordOp(flashAttentionRules, OP, shaped, [query, key, value], { query, key, value, rule, scale, blockRows, output: shaped, kernelBackward });
  return { output, logSumExp: logSumExp.reshape([...batch, queryLength]) };
}
