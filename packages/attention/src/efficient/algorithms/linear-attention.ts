/**
 * `linearAttention`: kernelised attention (Katharopoulos et al. 2020, "Transformers are RNNs"),
 * time and memory linear in the sequence length.
 *
 * Legend: `B` batch, `H` heads, `L` query length, `S` key length, `D` head dim, `F` feature dim,
 * `Dv` value dim, `C` chunk size.
 */
import { DTypeError, ShapeError, Tensor, ValueError, concat, elu, formatShape, matmul, pad, tensor, zeros } from '@heed/tensor';
import { normalizeMask, type AttentionMask } from '../../masks.js';
import { checkWhole } from '../patterns/attention-pattern.js';
import { checkAttentionShapes } from './sparse-attention.js';

/** A kernel feature map `φ`: `'elu+1'` (`elu(x) + 1`, the paper's) or any function `[..., N, D] → [..., N, F]` with non-negative values. */
export type FeatureMap = 'elu+1' | ((x: Tensor) => Tensor);

/** Options of {@link linearAttention}. */
export interface LinearAttentionOptions {
  /** The feature map `φ` (default `'elu+1'`). */
  featureMap?: FeatureMap;
  /** Query `i` sees keys `j <= i + S - L` only (bottom-right aligned), computed as a prefix sum. */
  causal?: boolean;
  /** A key mask, bool broadcastable to `[..., 1, S]` (true = real key), such as `paddingMask(...)`. */
  mask?: AttentionMask | null;
  /** Added to the normaliser (default 1e-6, as in the paper's code). */
  eps?: number;
  /** Keys per chunk in the causal form (default 64): within a chunk a masked `C × C` product, across chunks a running sum. */
  chunkSize?: number;
}

function features(op: string, map: FeatureMap, x: Tensor, argument: string): Tensor {
  if (map === 'elu+1') return elu(x).add(1);
  if (typeof map !== 'function') throw new ValueError(op, 'featureMap', `expected 'elu+1' or a function, got ${String(map)}`);
  const mapped = map(x);
  const ok = mapped instanceof Tensor && mapped.rank === x.rank && mapped.shape.slice(0, -1).every((size, axis) => size === x.shape[axis]);
  if (!ok) {
    const shape = mapped instanceof Tensor ? mapped.shape : [];
    throw new ShapeError(op, 'featureMap', `[${x.shape.slice(0, -1).join(', ')}, F] (featureMap(${argument}) keeps all but the last dim)`, shape);
  }
  return mapped;
}

/** `[0, x_0, x_0 + x_1, …]` along `axis`: a log-step (Hillis–Steele) scan of composed ops. */
function exclusivePrefixSum(x: Tensor, axis: number): Tensor {
  const count = x.shape[axis];
  const front = (part: Tensor, size: number): Tensor => {
    const shape = [...part.shape];
    shape[axis] = size;
    return concat([zeros(shape, { backend: part.backend }), part], axis);
  };
  if (count === 1) return x.zerosLike();
  let total = front(x.slice(axis, 0, count - 1), 1);
  for (let step = 1; step < count; step *= 2) total = total.add(front(total.slice(axis, 0, count - step), step));
  return total;
}

/** The causal form for aligned queries/keys of equal length `n`, plus an optional prefix state. */
function causalChunks(
  queries: Tensor,
  keys: Tensor,
  values: Tensor,
  prefix: { state: Tensor; norm: Tensor } | null,
  chunk: number,
  eps: number,
): Tensor {
  const rank = queries.rank;
  const length = queries.shape[rank - 2];
  const chunks = Math.ceil(length / chunk);
  const padRows = (x: Tensor): Tensor => {
    const padded = chunks * chunk === length ? x : pad(x, [0, 0, 0, chunks * chunk - length]);
    return padded.reshape([...x.shape.slice(0, -2), chunks, chunk, x.shape[rank - 1]]);
  };
  const [q, k, v] = [padRows(queries), padRows(keys), padRows(values)];
  const chunkAxis = rank - 2;
  let states = exclusivePrefixSum(matmul(k.transpose(-2, -1), v), chunkAxis); // [..., n/C, F, Dv]
  let norms = exclusivePrefixSum(k.sum(-2, true), chunkAxis); // [..., n/C, 1, F]
  if (prefix) {
    states = states.add(prefix.state.unsqueeze(-3));
    norms = norms.add(prefix.norm.unsqueeze(-3));
  }
  const lower = tensor(Float32Array.from({ length: chunk * chunk }, (_, index) => (index % chunk <= Math.floor(index / chunk) ? 1 : 0)), {
    shape: [chunk, chunk],
    backend: queries.backend,
  });
  const within = matmul(q, k.transpose(-2, -1)).mul(lower); // [..., n/C, C, C]
  const numerator = matmul(q, states).add(matmul(within, v));
  const denominator = q.mul(norms).sum(-1, true).add(within.sum(-1, true));
  const out = numerator.div(denominator.add(eps));
  return out.reshape([...queries.shape.slice(0, -2), chunks * chunk, values.shape[rank - 1]]).slice(rank - 2, 0, length);
}

/**
 * Linear attention: `out_i = φ(q_i)ᵀ Σ_j φ(k_j) v_jᵀ / (φ(q_i)ᵀ Σ_j φ(k_j) + eps)` over the keys
 * query `i` may see. This **approximates** softmax attention (the kernel `φ(q)ᵀφ(k)` replaces
 * `exp(qᵀk)`); it does not equal it, and is compared in tests with an explicit `L × S` evaluation of
 * the same formula. Non-causal: `O((L + S) · F · Dv)`. Causal (bottom-right aligned): a running
 * prefix sum of `φ(k_j) v_jᵀ`, computed in chunks of `C` keys, `O(L · (C + F) · Dv)`.
 * Differentiable; a query with no visible key gets a zero output.
 *
 * @param query - `[..., L, D]`.
 * @param key - `[..., S, D]`, same leading dims.
 * @param value - `[..., S, Dv]`.
 * @param options.featureMap - `'elu+1'` (default) or `(x) => features [..., N, F]`, non-negative.
 * @param options.causal - prefix-sum (autoregressive) form.
 * @param options.mask - key mask broadcastable to `[..., 1, S]`.
 * @returns `[..., L, Dv]`.
 * @example
 * ```ts
 * const out = linearAttention(query, key, value, { causal: true }); // [B, H, L, Dv], linear in L
 * const relu = linearAttention(query, key, value, { featureMap: (x) => x.relu().add(1e-3) });
 * ```
 */
export function linearAttention(query: Tensor, key: Tensor, value: Tensor, options: LinearAttentionOptions = {}): Tensor {
  const op = 'linearAttention';
  checkAttentionShapes(op, query, key, value);
  const eps = options.eps ?? 1e-6;
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) throw new ValueError(op, 'eps', `expected a finite number >= 0, got ${String(eps)}`);
  const chunk = options.chunkSize ?? 64;
  checkWhole(op, 'chunkSize', chunk, 1);
  const axis = query.rank - 2;
  const batch = query.shape.slice(0, -2);
  const queryLength = query.shape[axis];
  const keyLength = key.shape[axis];
  const map = options.featureMap ?? 'elu+1';
  const queries = features(op, map, query, 'query');
  let keys = features(op, map, key, 'key');
  if (queries.shape[queries.rank - 1] !== keys.shape[keys.rank - 1]) {
    throw new ShapeError(op, 'featureMap', `the same feature dim F for query and key (query gives ${formatShape(queries.shape)})`, keys.shape);
  }
  if (options.mask) {
    if (options.mask.dtype !== 'bool') throw new DTypeError(op, 'mask', 'bool key mask (true = real key)', options.mask.dtype);
    const { keep } = normalizeMask(op, options.mask, [...batch, 1, keyLength], { broadcast: false, pattern: '[..., 1, S] (a key mask)' });
    keys = keys.mul(keep!.float().transpose(-2, -1));
  }
  const outputShape = [...batch, queryLength, value.shape[value.rank - 1]];
  if (queryLength === 0 || keyLength === 0) return zeros(outputShape, { backend: query.backend });
  if (!options.causal) {
    const numerator = matmul(queries, matmul(keys.transpose(-2, -1), value));
    const denominator = queries.mul(keys.sum(-2, true)).sum(-1, true);
    return numerator.div(denominator.add(eps));
  }
  const shift = keyLength - queryLength;
  if (shift >= 0) {
    const prefix =
      shift > 0
        ? { state: matmul(keys.slice(axis, 0, shift).transpose(-2, -1), value.slice(axis, 0, shift)), norm: keys.slice(axis, 0, shift).sum(-2, true) }
        : null;
    return causalChunks(queries, keys.slice(axis, shift), value.slice(axis, shift), prefix, chunk, eps);
  }
  // More queries than keys: the first L - S queries see no key (zero output).
  const seen = causalChunks(queries.slice(axis, -shift), keys, value, null, chunk, eps);
  return concat([zeros([...batch, -shift, value.shape[value.rank - 1]], { backend: query.backend }), seen], axis);
}
