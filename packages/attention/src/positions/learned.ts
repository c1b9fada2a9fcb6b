import { Module, ShapeError, ValueError, add, normal, type Generator, type Tensor } from '@heed/tensor';

/** Options of {@link LearnedPositionalEmbedding}. */
export interface LearnedPositionalOptions {
  /** Standard deviation of the initial weights (default 0.02, as BERT and GPT-2). */
  initStd?: number;
  /** Generator for the initial weights. */
  generator?: Generator;
}

/**
 * Learned absolute positions (BERT, GPT-2): a trainable table `weight` `[maxLength, D]` whose
 * row `p` is added to the input at position `p`.
 *
 * Legend: `B` batch, `L` length, `D` width.
 *
 * @example
 * ```ts
 * const positions = new LearnedPositionalEmbedding(1024, 256);
 * positions.forward(tokens);         // [B, L, 256] + rows 0 … L-1
 * positions.forward(nextToken, 17);  // decoding: row 17
 * ```
 */
export class LearnedPositionalEmbedding extends Module {
  /** `[maxLength, D]`. */
  readonly weight: Tensor;

  constructor(
    readonly maxLength: number,
    readonly dim: number,
    options: LearnedPositionalOptions = {},
  ) {
    super();
    for (const [name, value] of [['maxLength', maxLength], ['dim', dim]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new ValueError('LearnedPositionalEmbedding', name, `must be a positive integer, got ${value}`);
    }
    this.weight = this.registerParameter('weight', normal([maxLength, dim], 0, options.initStd ?? 0.02, options.generator ? { generator: options.generator } : {}));
  }

  /** Rows `offset … offset + length - 1` of the table, `[length, D]`. */
  embedding(length: number, offset = 0): Tensor {
    if (!Number.isInteger(offset) || offset < 0 || offset + length > this.maxLength) {
      throw new ValueError('LearnedPositionalEmbedding', 'offset', `positions ${offset} … ${offset + length - 1} exceed maxLength ${this.maxLength}`);
    }
    return this.weight.slice(0, offset, offset + length);
  }

  /** `x` `[..., L, D]` → `x + weight[offset : offset + L]`. */
  forward(x: Tensor, offset = 0): Tensor {
    if (x.rank < 2 || x.shape[x.rank - 1] !== this.dim) throw new ShapeError('LearnedPositionalEmbedding', 'x', `[..., L, ${this.dim}]`, x.shape);
    return add(x, this.embedding(x.shape[x.rank - 2], offset));
  }
}
