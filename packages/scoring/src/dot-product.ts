import { ValueError, matmul, mul, transpose, type Tensor } from '@heed/tensor';
import { ScoreModule, checkScoreInputs } from './score-function.js';

/**
 * Dot-product score `q · k` (Luong's "dot").
 *
 * Legend: `B` batch, `L` query length, `S` key length, `D` depth; extra leading dims (`H`) broadcast.
 *
 * @param query - `[..., L, D]`.
 * @param key - `[..., S, D]`.
 * @returns scores `[..., L, S]`.
 * @example
 * ```ts
 * dotScore(tensor([[[1, 0]]]), tensor([[[1, 2], [3, 4]]])).toArray(); // [[[1, 3]]]
 * ```
 */
export function dotScore(query: Tensor, key: Tensor): Tensor {
  checkScoreInputs('dotScore', query, key, true);
  return matmul(query, transpose(key, -2, -1));
}

/** Options of {@link scaledDotScore}. */
export interface ScaledDotOptions {
  /** Factor applied to the dot products (default `1 / √D`). */
  scale?: number;
}

/**
 * Scaled dot-product score `q · k / √D` (Vaswani et al.), or `q · k · scale` with a custom scale.
 *
 * @param query - `[..., L, D]`.
 * @param key - `[..., S, D]`.
 * @returns scores `[..., L, S]`.
 * @example
 * ```ts
 * scaledDotScore(randn([2, 5, 64]), randn([2, 7, 64])).shape; // [2, 5, 7]
 * ```
 */
export function scaledDotScore(query: Tensor, key: Tensor, options: ScaledDotOptions = {}): Tensor {
  const [depth] = checkScoreInputs('scaledDotScore', query, key, true);
  const scale = options.scale ?? 1 / Math.sqrt(depth);
  if (!Number.isFinite(scale)) throw new ValueError('scaledDotScore', 'scale', `must be a finite number, got ${scale}`);
  return mul(matmul(query, transpose(key, -2, -1)), scale);
}

/**
 * {@link dotScore} as a module (it has no parameters).
 *
 * @example
 * ```ts
 * new DotScore().forward(query, key); // [B, L, S]
 * ```
 */
export class DotScore extends ScoreModule {
  readonly name = 'dot';

  /** `query` `[..., L, D]`, `key` `[..., S, D]` → `[..., L, S]`. */
  forward(query: Tensor, key: Tensor): Tensor {
    return dotScore(query, key);
  }
}

/**
 * {@link scaledDotScore} as a module (no parameters; an optional fixed `scale`).
 *
 * @example
 * ```ts
 * new ScaledDotScore().forward(query, key); // [B, L, S], divided by √D
 * ```
 */
export class ScaledDotScore extends ScoreModule {
  readonly name = 'scaledDot';

  constructor(readonly options: ScaledDotOptions = {}) {
    super();
  }

  /** `query` `[..., L, D]`, `key` `[..., S, D]` → `[..., L, S]`. */
  forward(query: Tensor, key: Tensor): Tensor {
    return scaledDotScore(query, key, this.options);
  }
}
