import { ValueError, matmul, transpose, uniform, type Generator, type Tensor } from '@heed/tensor';
import { ScoreModule, checkParameter, checkScoreInputs } from './score-function.js';

/**
 * General (bilinear) score `q W kᵀ` (Luong et al. 2015, "general").
 *
 * Legend: `L` query length, `S` key length, `Dq`/`Dk` query/key depth; leading dims broadcast.
 *
 * @param query - `[..., L, Dq]`.
 * @param key - `[..., S, Dk]`.
 * @param weight - `W`, `[Dq, Dk]`.
 * @returns scores `[..., L, S]`.
 * @example
 * ```ts
 * generalScore(randn([2, 5, 8]), randn([2, 7, 6]), randn([8, 6])).shape; // [2, 5, 7]
 * ```
 */
export function generalScore(query: Tensor, key: Tensor, weight: Tensor): Tensor {
  const [queryDepth, keyDepth] = checkScoreInputs('generalScore', query, key, false);
  checkParameter('generalScore', 'weight', weight, [queryDepth, keyDepth], '[Dq, Dk]');
  const keyDepthFirst = transpose(key, -2, -1);
  // (q W) kᵀ costs L·Dq·Dk + L·Dk·S; q (W kᵀ) costs S·Dq·Dk + L·Dq·S. Pick the cheaper order.
  const lengthQuery = query.shape[query.rank - 2];
  const lengthKey = key.shape[key.rank - 2];
  if (lengthQuery * keyDepth * (queryDepth + lengthKey) <= lengthKey * queryDepth * (keyDepth + lengthQuery)) {
    return matmul(matmul(query, weight), keyDepthFirst);
  }
  return matmul(query, matmul(weight, keyDepthFirst));
}

/** Options of {@link GeneralScore}. */
export interface GeneralScoreOptions {
  /** Generator for the initial weight (default: the global one). */
  generator?: Generator;
}

/**
 * {@link generalScore} as a module holding `weight` `[Dq, Dk]`, initialised U(±1/√Dk) like
 * PyTorch's `nn.Linear(Dk, Dq, bias=False)` (the usual way Luong attention is written).
 *
 * @example
 * ```ts
 * const score = new GeneralScore(256);          // Dq = Dk = 256
 * score.forward(decoderState, encoderOutputs);  // [B, 1, 256], [B, S, 256] → [B, 1, S]
 * ```
 */
export class GeneralScore extends ScoreModule {
  readonly name = 'general';
  /** `W`, `[Dq, Dk]`. */
  readonly weight: Tensor;

  constructor(
    readonly queryDim: number,
    readonly keyDim: number = queryDim,
    options: GeneralScoreOptions = {},
  ) {
    super();
    for (const [name, value] of [['queryDim', queryDim], ['keyDim', keyDim]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new ValueError('GeneralScore', name, `must be a positive integer, got ${value}`);
    }
    const bound = 1 / Math.sqrt(keyDim);
    this.weight = this.registerParameter('weight', uniform([queryDim, keyDim], -bound, bound, options.generator ? { generator: options.generator } : {}));
  }

  /** `query` `[..., L, Dq]`, `key` `[..., S, Dk]` → `[..., L, S]`. */
  forward(query: Tensor, key: Tensor): Tensor {
    return generalScore(query, key, this.weight);
  }
}
