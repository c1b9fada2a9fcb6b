import { ShapeError, ValueError, broadcastShapes, flashAttention, formatShape, matmul, mul, transpose, type Generator, type Tensor } from '@heed/tensor';
import { attendAs } from './attend.js';
import { checkMask, type AttentionMask } from './masks.js';

/** Options of {@link scaledDotProductAttention}, named after `F.scaled_dot_product_attention`'s. */
export interface ScaledDotProductAttentionOptions {
  /**
   * `attn_mask`: bool (true = may attend) or additive float, broadcastable to `[..., L, S]`
   * (e.g. `[L, S]`, `[B, 1, 1, S]`, `[B, H, L, S]`).
   */
  mask?: AttentionMask | null;
  /**
   * `is_causal`: bottom-right aligned causal mask (query `i` sees key `j` iff `j <= i + S - L`).
   * Unlike PyTorch, it may be combined with `mask` (both must allow a key).
   */
  causal?: boolean;
  /** Factor on `q · k` (default `1 / √D`); `null` means the default. */
  scale?: number | null;
  /** `dropout_p`, dropout probability on the weights (default 0). */
  dropout?: number;
  /** Generator for dropout (default: the global one). */
  generator?: Generator;
  /** Apply dropout (default true, as `dropout_p` always applies in PyTorch); pass `module.training`. */
  training?: boolean;
  /**
   * `enable_gqa`: allow fewer key/value heads than query heads (grouped-query attention). The
   * heads axis is the third from last; query head `h` uses key/value head `floor(h / (Hq / Hkv))`.
   */
  enableGqa?: boolean;
  /** Also return the weights `[..., L, S]` (then the result is `{ output, weights }`). */
  returnWeights?: boolean;
}

/** Repeats each key/value head `groups` times along the heads axis (-3): `[..., Hkv, S, D]` → `[..., Hkv·groups, S, D]`. */
export function repeatKeyValueHeads(x: Tensor, groups: number): Tensor {
  if (groups === 1) return x;
  const shape = x.shape;
  const heads = shape[shape.length - 3];
  const tail = shape.slice(-2);
  const lead = shape.slice(0, -3);
  return x.unsqueeze(-3).expand([...lead, heads, groups, ...tail]).reshape([...lead, heads * groups, ...tail]);
}

function checkInputs(query: Tensor, key: Tensor, value: Tensor, enableGqa: boolean): [Tensor, Tensor] {
  const op = 'scaledDotProductAttention';
  if (query.rank < 2) throw new ShapeError(op, 'query', '[..., L, D]', query.shape);
  const depth = query.shape[query.rank - 1];
  if (key.rank < 2 || key.shape[key.rank - 1] !== depth) {
    throw new ShapeError(op, 'key', `[..., S, D = ${depth}]`, key.shape, `query is ${formatShape(query.shape)}`);
  }
  const keys = key.shape[key.rank - 2];
  if (value.rank < 2 || value.shape[value.rank - 2] !== keys) {
    throw new ShapeError(op, 'value', `[..., S = ${keys}, Dv]`, value.shape, `key and value lengths differ: key is ${formatShape(key.shape)}`);
  }
  let groupedKey = key;
  let groupedValue = value;
  if (enableGqa && query.rank >= 3 && key.rank >= 3) {
    const queryHeads = query.shape[query.rank - 3];
    const keyHeads = key.shape[key.rank - 3];
    if (value.rank < 3 || value.shape[value.rank - 3] !== keyHeads) {
      throw new ShapeError(op, 'value', `[..., Hkv = ${keyHeads}, S, Dv]`, value.shape, 'key and value head counts differ');
    }
    if (queryHeads % keyHeads !== 0) {
      throw new ShapeError(op, 'key', `[..., Hkv, S, D] with Hkv dividing the ${queryHeads} query heads`, key.shape);
    }
    groupedKey = repeatKeyValueHeads(key, queryHeads / keyHeads);
    groupedValue = repeatKeyValueHeads(value, queryHeads / keyHeads);
  }
  const batch = (x: Tensor): number[] => [...x.shape.slice(0, -2)];
  for (const [name, tensor] of [['key', groupedKey], ['value', groupedValue]] as const) {
    try {
      broadcastShapes(op, batch(query), batch(tensor));
    } catch {
      throw new ShapeError(op, name, `batch dimensions broadcastable with query ${formatShape(query.shape)}`, tensor.shape, enableGqa ? undefined : 'pass enableGqa for fewer key/value heads');
    }
  }
  return [groupedKey, groupedValue];
}

/**
 * Whether attention can run as `flashAttention` (no `L × S` weights formed): nobody asked for the
 * weights, no dropout acts on them, the mask is bool (or absent) and query, key and value share
 * their leading dims (no broadcasting between them).
 */
export function canUseFlashAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options: { returnWeights?: boolean; dropout?: number; training?: boolean; mask?: Tensor | null },
): boolean {
  if (options.returnWeights) return false;
  if ((options.dropout ?? 0) > 0 && (options.training ?? true)) return false;
  if (options.mask && options.mask.dtype !== 'bool') return false;
  const lead = (tensor: Tensor): string => tensor.shape.slice(0, -2).join(',');
  return key.rank === query.rank && value.rank === query.rank && lead(key) === lead(query) && lead(value) === lead(query);
}

/**
 * Scaled dot-product attention, `softmax(q kᵀ · scale + mask) · v`, with PyTorch's
 * `F.scaled_dot_product_attention` arguments (`mask` = `attn_mask`, `causal` = `is_causal`,
 * `scale`, `dropout` = `dropout_p`, `enableGqa` = `enable_gqa`). Bool masks mean "may attend".
 * A query row with no allowed key (possible with `L > S` and `causal`, or with padding) gets
 * zero weights, a zero output and zero gradients, never NaN. When the weights are not needed (no
 * `returnWeights`, no active dropout, a bool mask or none) it runs `flashAttention` from
 * `@heed/tensor` (the backend's fused kernel, as PyTorch picks its flash kernel): the same
 * result without forming the `L × S` weights.
 *
 * Legend: `B` batch, `H` heads, `L` query length, `S` key length, `D` head dim, `Dv` value dim.
 *
 * @param query - `[..., L, D]`, typically `[B, H, L, D]`.
 * @param key - `[..., S, D]`.
 * @param value - `[..., S, Dv]`.
 * @returns `output` `[..., L, Dv]`, or `{ output, weights [..., L, S] }` with `returnWeights`.
 * @example
 * ```ts
 * const output = scaledDotProductAttention(query, key, value, { causal: true });
 * const { weights } = scaledDotProductAttention(query, key, value, { mask: keep, returnWeights: true });
 * ```
 */
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options: ScaledDotProductAttentionOptions & { returnWeights: true },
): { output: Tensor; weights: Tensor };
/** Scaled dot-product attention returning only the output `[..., L, Dv]` (see the overload above). @example `scaledDotProductAttention(q, k, v, { causal: true })` */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, options?: ScaledDotProductAttentionOptions): Tensor;
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options: ScaledDotProductAttentionOptions = {},
): Tensor | { output: Tensor; weights: Tensor } {
  const [groupedKey, groupedValue] = checkInputs(query, key, value, options.enableGqa ?? false);
  const scale = options.scale ?? 1 / Math.sqrt(query.shape[query.rank - 1]);
  if (!Number.isFinite(scale)) throw new ValueError('scaledDotProductAttention', 'scale', `must be finite, got ${scale}`);
  if (canUseFlashAttention(query, groupedKey, groupedValue, options)) {
    // Nothing needs the L × S weights: the fused kernel (FlashAttention's algorithm) gives the same result.
    const target = [...query.shape.slice(0, -1), groupedKey.shape[groupedKey.rank - 2]];
    const mask = options.mask ? checkMask('scaledDotProductAttention', options.mask, target) : null;
    return flashAttention(query, groupedKey, groupedValue, { mask, causal: options.causal ?? false, scale }).output;
  }
  const scores = mul(matmul(query, transpose(groupedKey, -2, -1)), scale);
  const { output, weights } = attendAs('scaledDotProductAttention', scores, groupedValue, {
    mask: options.mask ?? null,
    causal: options.causal ?? false,
    dropout: options.dropout ?? 0,
    training: options.training ?? true,
    ...(options.generator ? { generator: options.generator } : {}),
  });
  return options.returnWeights ? { output, weights } : output;
}
