import { ShapeError, ValueError, formatShape } from '../errors.js';
import { add, div, mul, sqrt, sub } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { transpose } from '../ops/movement.js';
import { mean, variance } from '../ops/reduce.js';
import { rand, type Generator } from '../random.js';
import type { Tensor } from '../tensor.js';

/**
 * `x · weightᵀ + bias` (PyTorch's `F.linear`). `x` [..., in], `weight` [out, in], `bias` [out].
 *
 * @example
 * ```ts
 * linear(x, weight, bias); // [B, L, in] → [B, L, out]
 * ```
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.rank !== 2) throw new ShapeError('linear', 'weight', '[out, in]', weight.shape);
  const inFeatures = weight.shape[1];
  if (x.rank === 0 || x.shape[x.rank - 1] !== inFeatures) {
    throw new ShapeError('linear', 'input', `[..., ${inFeatures}]`, x.shape);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new ShapeError('linear', 'bias', `[${weight.shape[0]}]`, bias.shape);
  }
  const out = matmul(x, transpose(weight, 0, 1));
  return bias ? add(out, bias) : out;
}

/**
 * Zeroes elements with probability `p` and scales the rest by `1 / (1 - p)` while `training`.
 *
 * @example
 * ```ts
 * dropout(x, 0.1, true, generator);
 * ```
 */
export function dropout(x: Tensor, p: number, training = true, generator?: Generator): Tensor {
  if (!(p >= 0 && p <= 1)) throw new ValueError('dropout', 'p', `must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  if (p === 1) return mul(x, 0);
  const keep = rand(x.shape, { backend: x.backend, ...(generator ? { generator } : {}) }).ge(p);
  return mul(x, mul(keep.float(), 1 / (1 - p)));
}

/**
 * Layer normalisation over the last `normalizedShape.length` dimensions (PyTorch's `F.layer_norm`).
 *
 * @example
 * ```ts
 * layerNorm(x, [D], weight, bias); // x [B, L, D]
 * ```
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  const count = normalizedShape.length;
  const tail = x.shape.slice(x.rank - count);
  if (count === 0 || x.rank < count || tail.some((size, index) => size !== normalizedShape[index])) {
    throw new ShapeError('layerNorm', 'input', `[..., ${normalizedShape.join(', ')}]`, x.shape);
  }
  const axes = normalizedShape.map((_, index) => x.rank - count + index);
  const centered = sub(x, mean(x, axes, true));
  const normalized = div(centered, sqrt(add(variance(x, axes, { correction: 0, keepDim: true }), eps)));
  for (const [name, parameter] of [['weight', weight], ['bias', bias]] as const) {
    if (parameter && formatShape(parameter.shape) !== formatShape(normalizedShape)) {
      throw new ShapeError('layerNorm', name, formatShape(normalizedShape), parameter.shape);
    }
  }
  const scaled = weight ? mul(normalized, weight) : normalized;
  return bias ? add(scaled, bias) : scaled;
}
