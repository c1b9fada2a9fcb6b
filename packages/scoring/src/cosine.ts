import { ValueError, div, matmul, maximum, sqrt, sum, transpose, type Tensor } from '@heed/tensor';
import { ScoreModule, checkScoreInputs } from './score-function.js';

/** Options of {@link cosineScore}. */
export interface CosineOptions {
  /** Smallest norm a vector is divided by (default 1e-8), so zero vectors score 0, not NaN. */
  eps?: number;
}

/** `x / max(‖x‖, eps)` over the last axis; written as `sqrt(max(‖x‖², eps²))` so the gradient stays finite at 0. */
function normalize(x: Tensor, eps: number): Tensor {
  return div(x, sqrt(maximum(sum(x.square(), -1, true), eps * eps)));
}

/**
 * Cosine-similarity score `q·k / (max(‖q‖, eps) · max(‖k‖, eps))`, in [-1, 1]. Each norm is
 * clamped from below by `eps`, as `q / q.norm().clamp_min(eps)` in PyTorch.
 *
 * Legend: `L` query length, `S` key length, `D` depth; leading dims broadcast.
 *
 * @param query - `[..., L, D]`.
 * @param key - `[..., S, D]`.
 * @returns scores `[..., L, S]`.
 * @example
 * ```ts
 * cosineScore(tensor([[[1, 0]]]), tensor([[[2, 0], [0, 3]]])).toArray(); // [[[1, 0]]]
 * ```
 */
export function cosineScore(query: Tensor, key: Tensor, options: CosineOptions = {}): Tensor {
  checkScoreInputs('cosineScore', query, key, true);
  const eps = options.eps ?? 1e-8;
  if (!(eps > 0)) throw new ValueError('cosineScore', 'eps', `must be positive, got ${eps}`);
  return matmul(normalize(query, eps), transpose(normalize(key, eps), -2, -1));
}

/**
 * {@link cosineScore} as a module (no parameters). Cosine scores lie in [-1, 1], so a softmax
 * over them is nearly uniform; multiply by a temperature (or use a learned scale) when needed.
 *
 * @example
 * ```ts
 * new CosineScore({ eps: 1e-6 }).forward(query, key); // [B, L, S]
 * ```
 */
export class CosineScore extends ScoreModule {
  readonly name = 'cosine';

  constructor(readonly options: CosineOptions = {}) {
    super();
  }

  /** `query` `[..., L, D]`, `key` `[..., S, D]` → `[..., L, S]`. */
  forward(query: Tensor, key: Tensor): Tensor {
    return cosineScore(query, key, this.options);
  }
}
