import { Module, ShapeError, Tensor, ValueError, add, concat, mul, neg, stack, type Backend } from '@heed/tensor';

/** Options of rotary position embeddings. */
export interface RotaryOptions {
  /** Frequency base θ (default 10000, as RoFormer and Llama). */
  base?: number;
  /**
   * Rotate adjacent pairs `(x₀, x₁), (x₂, x₃), …` as in the RoFormer paper and GPT-J (true), or
   * the two halves `(xᵢ, x_{i+D/2})` as in GPT-NeoX and Llama (false, the default).
   */
  interleaved?: boolean;
}

/** Options of {@link applyRotaryEmbedding}. */
export interface ApplyRotaryOptions extends RotaryOptions {
  /** Position of the first row (default 0): the cache length when decoding step by step. */
  offset?: number;
}

/** cos and sin tables `[L, D]` for positions `offset …`, laid out for the chosen pairing. */
function rotaryTables(length: number, dim: number, offset: number, options: RotaryOptions, backend: Backend): [Tensor, Tensor] {
  const base = options.base ?? 10000;
  const half = dim / 2;
  const cos = new Float32Array(length * dim);
  const sin = new Float32Array(length * dim);
  for (let row = 0; row < length; row++) {
    for (let pair = 0; pair < half; pair++) {
      const angle = (row + offset) * Math.pow(base, (-2 * pair) / dim);
      const [first, second] = options.interleaved ? [2 * pair, 2 * pair + 1] : [pair, pair + half];
      cos[row * dim + first] = cos[row * dim + second] = Math.cos(angle);
      sin[row * dim + first] = sin[row * dim + second] = Math.sin(angle);
    }
  }
  return [Tensor.fromData(cos, [length, dim], 'float32', backend), Tensor.fromData(sin, [length, dim], 'float32', backend)];
}

/** The partner of each element with the sign of the rotation: (-x₂, x₁) per pair. */
function rotatePairs(x: Tensor, interleaved: boolean): Tensor {
  const dim = x.shape[x.rank - 1];
  if (!interleaved) {
    return concat([neg(x.slice(-1, dim / 2, dim)), x.slice(-1, 0, dim / 2)], -1);
  }
  const even = x.slice(-1, 0, dim, 2);
  const odd = x.slice(-1, 1, dim, 2);
  return stack([neg(odd), even], -1).reshape(x.shape);
}

/**
 * Rotary position embedding (RoPE, Su et al. 2021): rotates each pair of features of the row at
 * position `p` by the angle `p · base^(-2i/D)`, so `q·k` depends on positions only through their
 * difference. Apply it to queries and keys (per head) before the scores.
 *
 * Legend: `L` length, `D` head dim (even); leading dims (`B`, `H`) pass through.
 *
 * @param x - `[..., L, D]`.
 * @returns `[..., L, D]`.
 * @example
 * ```ts
 * const q = applyRotaryEmbedding(query, { offset: cache.length }); // [B, H, L, D]
 * ```
 */
export function applyRotaryEmbedding(x: Tensor, options: ApplyRotaryOptions = {}): Tensor {
  const op = 'applyRotaryEmbedding';
  if (x.rank < 2 || x.shape[x.rank - 1] % 2 !== 0) throw new ShapeError(op, 'x', '[..., L, D] with D even', x.shape);
  const offset = options.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw new ValueError(op, 'options.offset', `must be a non-negative integer, got ${offset}`);
  const base = options.base ?? 10000;
  if (!(base > 0)) throw new ValueError(op, 'options.base', `must be positive, got ${base}`);
  const [cos, sin] = rotaryTables(x.shape[x.rank - 2], x.shape[x.rank - 1], offset, options, x.backend);
  return add(mul(x, cos), mul(rotatePairs(x, options.interleaved ?? false), sin));
}

/**
 * Rotary position embedding as a module (no parameters), for `dim`-wide heads.
 *
 * @example
 * ```ts
 * const rope = new RotaryEmbedding(64);
 * const attention = new MultiHeadAttention(512, 8, { rotary: rope });
 * rope.forward(query, 10); // [B, H, L, 64], positions 10 … 10 + L - 1
 * ```
 */
export class RotaryEmbedding extends Module {
  constructor(
    readonly dim: number,
    readonly options: RotaryOptions = {},
  ) {
    super();
    if (!Number.isInteger(dim) || dim < 2 || dim % 2 !== 0) throw new ValueError('RotaryEmbedding', 'dim', `must be a positive even integer, got ${dim}`);
  }

  /** `x` `[..., L, D]` → rotated `[..., L, D]`, positions starting at `offset`. */
  forward(x: Tensor, offset = 0): Tensor {
    if (x.rank < 2 || x.shape[x.rank - 1] !== this.dim) throw new ShapeError('RotaryEmbedding', 'x', `[..., L, ${this.dim}]`, x.shape);
    return applyRotaryEmbedding(x, { ...this.options, offset });
  }
}
