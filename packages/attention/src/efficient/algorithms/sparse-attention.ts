/**
 * `sparseAttention`: softmax attention over the keys a pattern allows, computing only those.
 *
 * Legend: `B` batch, `H` heads, `L` query length, `S` key length, `D` head dim, `Dv` value dim.
 */
import {
  DTypeError,
  ShapeError,
  Tensor,
  ValueError,
  concat,
  formatShape,
  gather,
  indexSelect,
  logicalAnd,
  matmul,
  where,
  zeros,
  type Shape,
} from '@heed/tensor';
import { normalizeMask, type AttentionMask } from '../../masks.js';
import { AttentionPattern, checkWhole, type PatternContext } from '../patterns/attention-pattern.js';
import { planSparseAttention, type SparseBucket, type SparsePlan } from './sparse-plan.js';

/** Options of {@link sparseAttention}. */
export interface SparseAttentionOptions {
  /** Which keys each query may attend. */
  pattern: AttentionPattern;
  /** Extra bool (true = may attend) or additive mask, broadcastable to `[B, H, L, S]` (a padding mask, say). */
  mask?: AttentionMask | null;
  /** And the bottom-right causal rule into the pattern. */
  causal?: boolean;
  /** Score scale (default `1 / sqrt(D)`). */
  scale?: number;
  /** Query rows computed together (default `pattern.blockSize`); trades padding for fewer, larger steps. */
  blockSize?: number;
}

/** @internal Checks query `[..., L, D]`, key `[..., S, D]`, value `[..., S, Dv]` with equal leading dims. */
export function checkAttentionShapes(op: string, query: Tensor, key: Tensor, value: Tensor | null): void {
  const named: [string, Tensor | null][] = [['query', query], ['key', key], ['value', value]];
  for (const [name, tensor] of named) {
    if (tensor === null) continue;
    if (!(tensor instanceof Tensor)) throw new ValueError(op, name, 'expected a Tensor');
    if (tensor.dtype !== 'float32') throw new DTypeError(op, name, 'float32', tensor.dtype);
  }
  if (query.rank < 2) throw new ShapeError(op, 'query', '[..., L, D]', query.shape);
  const batch = query.shape.slice(0, -2);
  const depth = query.shape[query.rank - 1];
  const lead = batch.length > 0 ? `${batch.join(', ')}, ` : '';
  const sameBatch = (tensor: Tensor): boolean => tensor.rank === query.rank && tensor.shape.slice(0, -2).every((size, axis) => size === batch[axis]);
  if (!sameBatch(key) || key.shape[key.rank - 1] !== depth) {
    throw new ShapeError(op, 'key', `[${lead}S, ${depth}]`, key.shape, `query is ${formatShape(query.shape)}`);
  }
  if (value && (!sameBatch(value) || value.shape[value.rank - 2] !== key.shape[key.rank - 2])) {
    throw new ShapeError(op, 'value', `[${lead}${key.shape[key.rank - 2]}, Dv]`, value.shape, `key is ${formatShape(key.shape)}`);
  }
}

/** @internal The default or given score scale, checked. */
export function resolveScale(op: string, scale: number | undefined, depth: number): number {
  const resolved = scale ?? 1 / Math.sqrt(depth);
  if (typeof resolved !== 'number' || !Number.isFinite(resolved)) throw new ValueError(op, 'scale', `expected a finite number, got ${String(scale)}`);
  return resolved;
}

/** A mask aligned to `[...mb, Lm, Sm]` gathered to the bucket's `[...mb, G|1, R|1, M|1]`. */
function gatherMask(mask: Tensor, bucket: SparseBucket, rowIndex: Tensor, keyIndex: Tensor): Tensor {
  const rank = mask.rank;
  const lead = mask.shape.slice(0, -2);
  const [maskRows, maskColumns] = mask.shape.slice(-2) as [number, number];
  const { groups, rows, keys } = bucket;
  if (maskColumns === 1) {
    return maskRows === 1 ? mask.reshape([...lead, 1, 1, 1]) : indexSelect(mask, rank - 2, rowIndex).reshape([...lead, groups, rows, 1]);
  }
  if (maskRows === 1) {
    const index = keyIndex.reshape([...lead.map(() => 1), 1, groups * keys]).expand([...lead, 1, groups * keys]);
    return gather(mask, rank - 1, index).reshape([...lead, groups, 1, keys]);
  }
  const picked = indexSelect(mask, rank - 2, rowIndex).reshape([...lead, groups, rows, maskColumns]);
  const index = keyIndex.reshape([...lead.map(() => 1), groups, 1, keys]).expand([...lead, groups, rows, keys]);
  return gather(picked, rank, index);
}

function runBucket(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  bucket: SparseBucket,
  masks: { keep: Tensor | null; bias: Tensor | null },
  scale: number,
): Tensor {
  const backend = query.backend;
  const axis = query.rank - 2;
  const batch = query.shape.slice(0, -2);
  const { groups, rows, keys } = bucket;
  const rowIndex = Tensor.fromData(bucket.rowIndex, [groups * rows], 'int32', backend);
  const keyIndex = Tensor.fromData(bucket.keyIndex, [groups * keys], 'int32', backend);
  const grouped = (tensor: Tensor, index: Tensor, count: number): Tensor =>
    indexSelect(tensor, axis, index).reshape([...batch, groups, count, tensor.shape[tensor.rank - 1]]);
  const queries = grouped(query, rowIndex, rows);
  let scores = matmul(queries, grouped(key, keyIndex, keys).transpose(-2, -1)).mul(scale);
  if (masks.bias) scores = scores.add(gatherMask(masks.bias, bucket, rowIndex, keyIndex));
  let allowed = Tensor.fromData(bucket.allowed, [groups, rows, keys], 'bool', backend);
  if (masks.keep) allowed = logicalAnd(allowed, gatherMask(masks.keep, bucket, rowIndex, keyIndex));
  const weights = where(allowed, scores, -Infinity).softmax(-1);
  return matmul(weights, grouped(value, keyIndex, keys)).reshape([...batch, groups * rows, value.shape[value.rank - 1]]);
}

function isIdentity(plan: SparsePlan): boolean {
  const [only] = plan.buckets;
  return plan.buckets.length === 1 && only.groups * only.rows === plan.rowPosition.length && plan.rowPosition.every((position, row) => position === row);
}

/**
 * Softmax attention restricted to a sparse pattern, computing only the allowed keys: query rows
 * are grouped, each group gathers the keys its rows may attend, and a masked softmax runs over
 * those, so memory is `O(L · keys per query)` rather than `O(L · S)`. Equal to full attention with
 * the mask `pattern.denseMask(L, S)` and-ed with `mask` (and causal), in forward and gradients. A
 * query with no allowed key gets a zero output and zero gradients.
 *
 * @param query - `[..., L, D]` (for example `[B, H, L, D]`).
 * @param key - `[..., S, D]`, same leading dims.
 * @param value - `[..., S, Dv]`.
 * @param options.pattern - the sparsity pattern.
 * @param options.mask - bool or additive, broadcastable to `[..., L, S]` (true = may attend).
 * @param options.causal - and the bottom-right causal rule in.
 * @param options.scale - score scale (default `1 / sqrt(D)`).
 * @returns `[..., L, Dv]`.
 * @example
 * ```ts
 * const pattern = longformerPattern({ window: 128, globalTokens: [0] });
 * const out = sparseAttention(query, key, value, { pattern, mask: paddingMask(lengths, S) });
 * out.sum().backward(); // gradients flow to query, key and value
 * ```
 */
export function sparseAttention(query: Tensor, key: Tensor, value: Tensor, options: SparseAttentionOptions): Tensor {
  const op = 'sparseAttention';
  checkAttentionShapes(op, query, key, value);
  if (!(options?.pattern instanceof AttentionPattern)) {
    throw new ValueError(op, 'pattern', 'expected an AttentionPattern (slidingWindowPattern, longformerPattern, …)');
  }
  const queryLength = query.shape[query.rank - 2];
  const keyLength = key.shape[key.rank - 2];
  const scale = resolveScale(op, options.scale, query.shape[query.rank - 1]);
  const rowsPerGroup = options.blockSize ?? options.pattern.blockSize;
  checkWhole(op, 'blockSize', rowsPerGroup, 1);
  const target: Shape = [...query.shape.slice(0, -2), queryLength, keyLength];
  const masks = normalizeMask(op, options.mask, target, { broadcast: false, pattern: '[..., L, S]' });
  const context: PatternContext = { op, query: { name: 'query', shape: query.shape }, key: { name: 'key', shape: key.shape } };
  const plan = planSparseAttention(options.pattern, queryLength, keyLength, { causal: options.causal === true, rowsPerGroup, context });
  const outputShape = [...query.shape.slice(0, -1), value.shape[value.rank - 1]];
  if (queryLength === 0 || keyLength === 0) return zeros(outputShape, { backend: query.backend });
  const parts = plan.buckets.map((bucket) => runBucket(query, key, value, bucket, masks, scale));
  if (isIdentity(plan)) return parts[0].reshape(outputShape);
  const rows = parts.length === 1 ? parts[0] : concat(parts, query.rank - 2);
  const positions = Tensor.fromData(plan.rowPosition, [queryLength], 'int32', query.backend);
  return indexSelect(rows, query.rank - 2, positions);
}

/**
 * How much of the `L × S` score matrix `sparseAttention` computes for `pattern`, for sizing and
 * benchmarks: `allowedPairs`, the (query, key) pairs the pattern allows; `computedPairs`, the
 * scores computed per batch and head, allowed pairs plus padding; and `examinedPairs`, the pairs
 * looked at once to plan (the key columns the pattern's spans cover, or for a `customPattern`
 * its rule's calls: `L × S` for an `allows` predicate alone, the listed keys with `keys`).
 * Planning is cached per pattern and lengths, so this also plans for a later `sparseAttention`.
 *
 * @example
 * ```ts
 * const { allowedPairs, computedPairs } = sparseAttentionCost(slidingWindowPattern({ window: 128 }), 4096);
 * // allowedPairs = 1028224 (255 keys per query, fewer at the edges) of 4096² = 16777216
 * sparseAttentionCost(customPattern((row, column) => column === row), 4096).examinedPairs; // 16777216: L × S calls
 * sparseAttentionCost(customPattern({ keys: (row) => [row] }), 4096).examinedPairs; // 4096
 * ```
 */
export function sparseAttentionCost(
  pattern: AttentionPattern,
  queryLength: number,
  keyLength: number = queryLength,
  options: { causal?: boolean; blockSize?: number } = {},
): { allowedPairs: number; computedPairs: number; examinedPairs: number } {
  const context: PatternContext = { op: 'sparseAttentionCost', query: { name: 'queryLength', shape: [queryLength] }, key: { name: 'keyLength', shape: [keyLength] } };
  const rowsPerGroup = options.blockSize ?? pattern.blockSize;
  checkWhole('sparseAttentionCost', 'blockSize', rowsPerGroup, 1);
  const plan = planSparseAttention(pattern, queryLength, keyLength, { causal: options.causal === true, rowsPerGroup, context });
  return { allowedPairs: plan.allowedPairs, computedPairs: plan.computedPairs, examinedPairs: plan.examinedPairs };
}
