import { Module, ShapeError, Tensor, ValueError, add, dropout, getBackend, type Backend, type Generator } from '@heed/tensor';

/** Options of {@link sinusoidalPositionalEncoding}. */
export interface SinusoidalOptions {
  /** Position of the first row (default 0), e.g. the cache length when decoding step by step. */
  offset?: number;
  /** The wavelength base (default 10000, as in "Attention Is All You Need"). */
  base?: number;
  /** Backend to create the table on (default: the current one). */
  backend?: Backend;
}

function checkPositive(op: string, argument: string, value: number, allowZero = false): void {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new ValueError(op, argument, `must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${value}`);
  }
}

/**
 * The sinusoidal position table of Vaswani et al. (2017): row `p`, column `2i` is
 * `sin(p / base^(2i/D))` and column `2i + 1` is `cos(p / base^(2i/D))` (the layout of the
 * PyTorch transformer tutorial). Computed in float64, stored as float32.
 *
 * Legend: `L` length, `D` model width.
 *
 * @param length - `L`, the number of positions.
 * @param dim - `D`, the encoding width (odd widths drop the last cosine).
 * @returns `[L, D]`.
 * @example
 * ```ts
 * const x = embeddings.add(sinusoidalPositionalEncoding(L, D)); // [B, L, D] + [L, D]
 * ```
 */
export function sinusoidalPositionalEncoding(length: number, dim: number, options: SinusoidalOptions = {}): Tensor {
  const op = 'sinusoidalPositionalEncoding';
  checkPositive(op, 'length', length, true);
  checkPositive(op, 'dim', dim);
  const offset = options.offset ?? 0;
  checkPositive(op, 'options.offset', offset, true);
  const base = options.base ?? 10000;
  if (!(base > 0)) throw new ValueError(op, 'options.base', `must be positive, got ${base}`);
  const table = new Float32Array(length * dim);
  for (let row = 0; row < length; row++) {
    const position = row + offset;
    for (let column = 0; column < dim; column += 2) {
      const angle = position / Math.pow(base, column / dim);
      table[row * dim + column] = Math.sin(angle);
      if (column + 1 < dim) table[row * dim + column + 1] = Math.cos(angle);
    }
  }
  return Tensor.fromData(table, [length, dim], 'float32', options.backend ?? getBackend());
}

/**
 * Adds the sinusoidal encoding to its input, then applies dropout in training mode (the
 * `PositionalEncoding` module of the PyTorch tutorial, batch first). No parameters.
 *
 * @example
 * ```ts
 * const positions = new SinusoidalPositionalEncoding(512, { dropout: 0.1 });
 * positions.forward(embeddings);       // [B, L, 512]
 * positions.forward(nextToken, step);  // decoding: [B, 1, 512] at position `step`
 * ```
 */
export class SinusoidalPositionalEncoding extends Module {
  #table: Tensor | null = null;

  constructor(
    readonly dim: number,
    readonly options: { dropout?: number; base?: number; generator?: Generator } = {},
  ) {
    super();
    checkPositive('SinusoidalPositionalEncoding', 'dim', dim);
  }

  /** The encoding of positions `offset … offset + L - 1`, `[L, D]` (rows are cached and reused). */
  encoding(length: number, offset = 0): Tensor {
    const needed = offset + length;
    if (!this.#table || this.#table.shape[0] < needed) {
      this.#table = sinusoidalPositionalEncoding(Math.max(needed, 2 * (this.#table?.shape[0] ?? 0)), this.dim, { base: this.options.base ?? 10000 });
    }
    return this.#table.slice(0, offset, needed);
  }

  /** `x` `[..., L, D]` → `x + encoding` (then dropout), positions starting at `offset`. */
  forward(x: Tensor, offset = 0): Tensor {
    if (x.rank < 2 || x.shape[x.rank - 1] !== this.dim) {
      throw new ShapeError('SinusoidalPositionalEncoding', 'x', `[..., L, ${this.dim}]`, x.shape);
    }
    checkPositive('SinusoidalPositionalEncoding', 'offset', offset, true);
    const out = add(x, this.encoding(x.shape[x.rank - 2], offset).to(x.backend));
    return dropout(out, this.options.dropout ?? 0, this.training, this.options.generator);
  }
}
