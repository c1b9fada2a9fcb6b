import { ShapeError, ValueError } from '../errors.js';
import { full, tensor, zeros } from '../ops/creation.js';
import { where } from '../ops/elementwise.js';
import { embedding } from '../ops/indexing.js';
import { normal, uniform, type Generator } from '../random.js';
import type { Tensor } from '../tensor.js';
import { dropout, layerNorm, linear } from './functional.js';
import { Module } from './module.js';

/** Options for layers with random initial weights. */
export interface LayerOptions {
  /** The generator for the initial weights (default: the global one, see `manualSeed`). */
  generator?: Generator;
}

/**
 * `y = x Wᵀ + b` with PyTorch's names (`weight` [out, in], `bias` [out]) and default init
 * U(±1/√in) for both.
 *
 * @example
 * ```ts
 * const layer = new Linear(64, 32);
 * layer.forward(randn([8, 64])).shape; // [8, 32]
 * ```
 */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LayerOptions & { bias?: boolean } = {},
  ) {
    super();
    for (const [name, value] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new ValueError('Linear', name, `must be a positive integer, got ${value}`);
    }
    const bound = 1 / Math.sqrt(inFeatures);
    const random = options.generator ? { generator: options.generator } : {};
    this.weight = this.registerParameter('weight', uniform([outFeatures, inFeatures], -bound, bound, random));
    this.bias = this.registerParameter('bias', options.bias === false ? null : uniform([outFeatures], -bound, bound, random));
  }

  /** `x` [..., in] → [..., out]. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`, initialised N(0, 1) as in PyTorch.
 *
 * @example
 * ```ts
 * const table = new Embedding(100, 16);
 * table.forward(tensor([[1, 2, 3]], { dtype: 'int32' })).shape; // [1, 3, 16]
 * ```
 */
export class Embedding extends Module {
  readonly weight: Tensor;
  /** The index whose row stays zero and gets no gradient, or null. */
  readonly paddingIdx: number | null;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: LayerOptions & { paddingIdx?: number } = {},
  ) {
    super();
    const values = normal([numEmbeddings, embeddingDim], 0, 1, options.generator ? { generator: options.generator } : {});
    this.paddingIdx = options.paddingIdx ?? null;
    if (this.paddingIdx !== null) {
      if (!Number.isInteger(this.paddingIdx) || this.paddingIdx < 0 || this.paddingIdx >= numEmbeddings) {
        throw new ValueError('Embedding', 'paddingIdx', `must be an index in [0, ${numEmbeddings}), got ${this.paddingIdx}`);
      }
      const data = values.dataSync() as Float32Array;
      data.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
      this.weight = this.registerParameter('weight', tensor(data, { shape: [numEmbeddings, embeddingDim] }));
    } else {
      this.weight = this.registerParameter('weight', values);
    }
  }

  /** int32 `indices` of any shape → [...indices.shape, embeddingDim]. */
  forward(indices: Tensor): Tensor {
    const out = embedding(indices, this.weight);
    if (this.paddingIdx === null) return out;
    // As in PyTorch, the padding row receives no gradient: padded positions read a detached copy.
    return where(indices.eq(this.paddingIdx).unsqueeze(-1), out.detach(), out);
  }
}

/**
 * Layer normalisation over the trailing `normalizedShape`, with `weight` (ones) and `bias` (zeros).
 *
 * @example
 * ```ts
 * new LayerNorm([64]).forward(x); // x [B, L, 64]
 * ```
 */
export class LayerNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly normalizedShape: readonly number[];

  constructor(
    normalizedShape: number | readonly number[],
    /** `eps` (default 1e-5), `elementwiseAffine` (default true), `bias` (default true; false keeps only `weight`, as PyTorch ≥ 2.1's `bias=False`). */
    readonly options: { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {},
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    const affine = options.elementwiseAffine ?? true;
    this.weight = this.registerParameter('weight', affine ? full(this.normalizedShape, 1) : null);
    this.bias = this.registerParameter('bias', affine && options.bias !== false ? zeros(this.normalizedShape) : null);
  }

  /** Normalises `x` [..., ...normalizedShape]. */
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.options.eps ?? 1e-5);
  }
}

/**
 * Dropout with probability `p`, active only in training mode.
 *
 * @example
 * ```ts
 * const drop = new Dropout(0.1);
 * drop.eval().forward(x) === x; // true
 * ```
 */
export class Dropout extends Module {
  constructor(
    readonly p = 0.5,
    readonly options: LayerOptions = {},
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new ValueError('Dropout', 'p', `must be in [0, 1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.options.generator);
  }
}

/** Checks that `x` has `rank` dimensions and `size` in the last one (a helper for module forwards). */
export function expectFeatures(op: string, argument: string, x: Tensor, pattern: string, size: number, rank?: number): void {
  if ((rank !== undefined && x.rank !== rank) || x.shape[x.rank - 1] !== size) throw new ShapeError(op, argument, pattern, x.shape);
}
