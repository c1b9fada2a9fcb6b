import { Module, type Generator, type Tensor } from '@heed/tensor';
import { ScoreModule, resolveScore, type ScoreLike } from '@heed/scoring';
import { attendAs, type AttendOptions, type AttentionResult } from './attend.js';
import type { Weighting } from './weighting/weighting.js';

/** Options of {@link attention}: a score, plus everything {@link attend} takes. */
export interface AttentionOptions extends AttendOptions {
  /** How queries meet keys (default `'scaledDot'`): a name, a function, or a score module. */
  score?: ScoreLike;
}

/**
 * Attention with any score and any weighting: `attend(score(query, key), value)`.
 *
 * Legend: `B` batch, `L` query length, `S` key length, `Dq`/`Dk`/`Dv` depths; leading dims broadcast.
 *
 * @param query - `[..., L, Dq]`.
 * @param key - `[..., S, Dk]`.
 * @param value - `[..., S, Dv]`.
 * @returns `{ output [..., L, Dv], weights [..., L, S] }`.
 * @example
 * ```ts
 * const { output, weights } = attention(query, key, value, { score: 'cosine', weighting: 'sparsemax' });
 * ```
 */
export function attention(query: Tensor, key: Tensor, value: Tensor, options: AttentionOptions = {}): AttentionResult {
  const { score, ...rest } = options;
  return attendAs('attention', resolveScore(score ?? 'scaledDot')(query, key), value, rest);
}

/**
 * Self-attention: every position of `x` attends to every (allowed) position of `x`.
 *
 * @param x - `[..., L, D]` (queries, keys and values).
 * @returns `{ output [..., L, D], weights [..., L, L] }`.
 * @example
 * ```ts
 * selfAttention(x, { causal: true }).output; // [B, L, D]
 * ```
 */
export function selfAttention(x: Tensor, options: AttentionOptions = {}): AttentionResult {
  return attention(x, x, x, options);
}

/**
 * Cross-attention: queries attend to a separate `context` (e.g. decoder states to encoder outputs),
 * which serves as both keys and values.
 *
 * @param query - `[..., L, Dq]`.
 * @param context - `[..., S, Dk]`.
 * @returns `{ output [..., L, Dk], weights [..., L, S] }`.
 * @example
 * ```ts
 * crossAttention(decoderStates, encoderOutputs, { score: new GeneralScore(256), mask: keepSource }).output;
 * ```
 */
export function crossAttention(query: Tensor, context: Tensor, options: AttentionOptions = {}): AttentionResult {
  return attention(query, context, context, options);
}

/** Options of the {@link Attention} module. */
export interface AttentionModuleOptions {
  /** The score (default `'scaledDot'`); a score module is registered as the `score` sub-module. */
  score?: ScoreLike;
  /** The weighting (default `'soft'`). */
  weighting?: Weighting;
  /** Dropout on the weights in training mode (default 0). */
  dropout?: number;
  /** Generator for dropout and stochastic weightings. */
  generator?: Generator;
}

/**
 * A score and a weighting as a module (Luong- or Bahdanau-style attention for sequence-to-
 * sequence models, Keras's `Attention`/`AdditiveAttention`). A score module's parameters train
 * with it; training mode controls dropout and sampling.
 *
 * @example
 * ```ts
 * const layer = new Attention({ score: new AdditiveScore(512, 256, { attentionDim: 128 }) });
 * const { output, weights } = layer.forward(decoderState, encoderOutputs, encoderOutputs, { mask: keepSource });
 * ```
 */
export class Attention extends Module {
  readonly score: ScoreLike;
  readonly #score: (query: Tensor, key: Tensor) => Tensor;

  constructor(readonly options: AttentionModuleOptions = {}) {
    super();
    this.score = options.score ?? 'scaledDot';
    if (this.score instanceof ScoreModule) this.registerModule('score', this.score);
    this.#score = resolveScore(this.score);
  }

  /**
   * @param query - `[..., L, Dq]`.
   * @param key - `[..., S, Dk]`.
   * @param value - `[..., S, Dv]` (default `key`).
   * @param options - `mask` and `causal`, as in {@link attend}.
   * @returns `{ output [..., L, Dv], weights [..., L, S] }`.
   */
  forward(query: Tensor, key: Tensor, value: Tensor = key, options: Pick<AttendOptions, 'mask' | 'causal'> = {}): AttentionResult {
    return attendAs('Attention', this.#score(query, key), value, {
      ...options,
      weighting: this.options.weighting ?? 'soft',
      dropout: this.options.dropout ?? 0,
      training: this.training,
      ...(this.options.generator ? { generator: this.options.generator } : {}),
    });
  }
}
