import { Attention } from '@heed/attention';
import { createScore, type ScoreLike } from '@heed/scoring';
import { Embedding, Linear, Module, ValueError, concat, dropout, stack, type Generator, type Tensor } from '@heed/tensor';
import { GRU } from './gru.js';
import { LSTM } from './lstm.js';
import { RNN } from './rnn.js';
import type { RNNBase } from './rnn-base.js';

/** The recurrent layer kinds a {@link Seq2Seq} encoder or decoder can be built from. */
export type RecurrentCellKind = 'rnn' | 'lstm' | 'gru';

/**
 * Where attention sits in the decoder. `bahdanau` (Bahdanau et al. 2015): the previous decoder
 * state queries the source, and the context is part of the recurrent input. `luong` (Luong et al.
 * 2015): the new decoder state queries the source, and `tanh(W_c [context; state])` predicts the
 * next token (with `inputFeeding`, that vector is also fed to the next step).
 */
export type AttentionStyle = 'bahdanau' | 'luong';

/** The encoded source a decoder attends over. */
export interface EncodedSource {
  /** Encoder outputs, the attention's keys and values: [B, S, C]. */
  memory: Tensor;
  /** Bool `[B, 1, S]`: true at real source positions. */
  mask: Tensor;
  /** Real length of each source sequence. */
  lengths: Int32Array;
}

/** A decoder's recurrent state between steps. */
export interface DecoderState {
  /** [layers, B, H]. */
  h: Tensor;
  /** [layers, B, H] for an LSTM decoder, else null. */
  c: Tensor | null;
  /** The previous attentional vector `h̃` [B, H] (Luong with input feeding), else null. */
  feed: Tensor | null;
}

/** How a decoder attends: shared by {@link AttentionDecoderOptions} and {@link Seq2SeqOptions}. */
export interface DecoderAttentionOptions {
  /** Where attention sits in the decoder (default `luong`); see {@link AttentionStyle}. */
  style?: AttentionStyle;
  /** Luong's input feeding: the previous attentional vector joins the next input (default false). */
  inputFeeding?: boolean;
  /**
   * The score between decoder states and encoder outputs: `additive` (Bahdanau; Luong's `concat`),
   * `general` (default), `dot`, … or any score function or module from `@heed/scoring`.
   */
  score?: ScoreLike;
  /** Hidden size `A` of an additive score (default `hiddenSize`). */
  attentionDim?: number;
}

/** Options of {@link AttentionDecoder}. */
export interface AttentionDecoderOptions extends DecoderAttentionOptions {
  vocabSize: number;
  embeddingDim: number;
  hiddenSize: number;
  /** Depth `C` of the encoder outputs it attends over. */
  memoryDim: number;
  numLayers?: number;
  cell?: RecurrentCellKind;
  /** Dropout on embeddings and attentional vectors, in training (default 0). */
  dropout?: number;
  padIndex?: number;
  generator?: Generator;
}

/** What one decoder step returns. */
export interface DecoderStep {
  /** [B, V] unnormalised scores of the next token. */
  logits: Tensor;
  /** [B, S] attention weights over the source. */
  weights: Tensor;
  state: DecoderState;
}

/** A batch-first recurrent layer of the given kind (the building block of {@link Seq2Seq}). */
export function makeRecurrentLayer(cell: RecurrentCellKind, inputSize: number, hiddenSize: number, options: { numLayers: number; bidirectional?: boolean; generator?: Generator }): RNNBase {
  const common = { ...options, batchFirst: true };
  if (cell === 'lstm') return new LSTM(inputSize, hiddenSize, common);
  if (cell === 'gru') return new GRU(inputSize, hiddenSize, common);
  if (cell === 'rnn') return new RNN(inputSize, hiddenSize, common);
  throw new ValueError('Seq2Seq', 'cell', `must be 'rnn', 'lstm' or 'gru', got ${String(cell)}`);
}

/**
 * The decoder of an attention encoder–decoder: token embedding, a recurrent layer, attention over
 * the encoder outputs with any score from `@heed/scoring`, `h̃ = tanh(W_c [context; state])` and an
 * output projection to the vocabulary. Used by {@link Seq2Seq}; usable on its own with any encoder.
 *
 * Legend: `B` batch, `T` target length, `S` source length, `C` memory depth, `H` hidden size, `V` vocabulary.
 *
 * @example
 * ```ts
 * const decoder = new AttentionDecoder({ vocabSize: 40, embeddingDim: 16, hiddenSize: 64, memoryDim: 128, score: 'additive', style: 'bahdanau' });
 * const { logits, weights } = decoder.teacherForced(inputs, state, encoded); // [B, T, 40], [B, T, S]
 * ```
 */
export class AttentionDecoder extends Module {
  readonly embedding: Embedding;
  readonly rnn: RNNBase;
  readonly attention: Attention;
  /** `W_c` [H, C + H] (no bias, as Luong et al.). */
  readonly combine: Linear;
  /** [V, H]. */
  readonly output: Linear;
  readonly style: AttentionStyle;
  readonly inputFeeding: boolean;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly #dropout: number;
  readonly #generator: Generator | undefined;

  constructor(options: AttentionDecoderOptions) {
    super();
    const { vocabSize, embeddingDim, hiddenSize, memoryDim } = options;
    this.style = options.style ?? 'luong';
    if (this.style !== 'luong' && this.style !== 'bahdanau') throw new ValueError('AttentionDecoder', 'style', `must be 'luong' or 'bahdanau', got ${String(this.style)}`);
    this.inputFeeding = this.style === 'luong' && (options.inputFeeding ?? false);
    this.hiddenSize = hiddenSize;
    this.numLayers = options.numLayers ?? 1;
    this.#dropout = options.dropout ?? 0;
    this.#generator = options.generator;
    const random = options.generator ? { generator: options.generator } : {};
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, embeddingDim, { ...random, ...(options.padIndex === undefined ? {} : { paddingIdx: options.padIndex }) }));
    const extra = this.style === 'bahdanau' ? memoryDim : this.inputFeeding ? hiddenSize : 0;
    this.rnn = this.registerModule('rnn', makeRecurrentLayer(options.cell ?? 'lstm', embeddingDim + extra, hiddenSize, { numLayers: this.numLayers, ...random }));
    const score = options.score ?? 'general';
    const needsSameDepth = score === 'dot' || score === 'scaledDot' || score === 'cosine';
    if (needsSameDepth && hiddenSize !== memoryDim) {
      throw new ValueError('AttentionDecoder', 'score', `'${score}' needs the decoder hidden size (${hiddenSize}) to equal the memory depth (${memoryDim}); use 'general' or 'additive'`);
    }
    const module = typeof score === 'string' ? createScore(score, { queryDim: hiddenSize, keyDim: memoryDim, attentionDim: options.attentionDim ?? hiddenSize, ...random }) : score;
    this.attention = this.registerModule('attention', new Attention({ score: module }));
    this.combine = this.registerModule('combine', new Linear(memoryDim + hiddenSize, hiddenSize, { bias: false, ...random }));
    this.output = this.registerModule('output', new Linear(hiddenSize, vocabSize, random));
  }

  #drop(x: Tensor): Tensor {
    return this.#dropout > 0 ? dropout(x, this.#dropout, this.training, this.#generator) : x;
  }

  /** Runs the recurrent layer over `input` [B, T, ·] from `state`. */
  #recur(input: Tensor, state: DecoderState): { output: Tensor; h: Tensor; c: Tensor | null } {
    const result = this.rnn.forward(input, state.c ? { h0: state.h, c0: state.c } : { h0: state.h });
    return { output: result.output, h: result.hN, c: result.cN };
  }

  /** Attends with decoder states `query` `[B, L, H]`: context `[B, L, C]` and weights `[B, L, S]`. */
  #attend(query: Tensor, encoded: EncodedSource): { context: Tensor; weights: Tensor } {
    const { output, weights } = this.attention.forward(query, encoded.memory, encoded.memory, { mask: encoded.mask });
    return { context: output, weights };
  }

  /** `logits` of `h̃ = tanh(W_c [context; state])`, both [B, L, ·]. */
  #predict(context: Tensor, query: Tensor): { logits: Tensor; attentional: Tensor } {
    const attentional = this.#drop(this.combine.forward(concat([context, query], -1)).tanh());
    return { logits: this.output.forward(attentional), attentional };
  }

  /**
   * One step: feeds `tokens` (int32 [B], the previous outputs) and returns the next token's logits,
   * the attention weights and the new state.
   */
  step(tokens: Tensor, state: DecoderState, encoded: EncodedSource): DecoderStep {
    const embedded = this.#drop(this.embedding.forward(tokens)).unsqueeze(1); // [B, 1, E]
    if (this.style === 'bahdanau') {
      const previous = state.h.slice(0, this.numLayers - 1).squeeze(0).unsqueeze(1); // top layer [B, 1, H]
      const { context, weights } = this.#attend(previous, encoded);
      const next = this.#recur(concat([embedded, context], -1), state);
      const { logits } = this.#predict(context, next.output);
      return { logits: logits.squeeze(1), weights: weights.squeeze(1), state: { h: next.h, c: next.c, feed: null } };
    }
    const input = this.inputFeeding ? concat([embedded, (state.feed ?? state.h.slice(0, this.numLayers - 1).squeeze(0).zerosLike()).unsqueeze(1)], -1) : embedded;
    const next = this.#recur(input, state);
    const { context, weights } = this.#attend(next.output, encoded);
    const { logits, attentional } = this.#predict(context, next.output);
    return { logits: logits.squeeze(1), weights: weights.squeeze(1), state: { h: next.h, c: next.c, feed: this.inputFeeding ? attentional.squeeze(1) : null } };
  }

  /**
   * Teacher forcing: decoder inputs `inputs` (int32 [B, T], the target shifted right behind a
   * start token) → logits [B, T, V] and weights [B, T, S]. Luong attention without input feeding
   * runs the recurrent layer over all T steps at once and attends for all of them in one call;
   * the other styles step. Where `usePrediction(t)` is true, step t is fed the previous step's
   * most likely token instead of `inputs[:, t]` (scheduled sampling).
   */
  teacherForced(inputs: Tensor, state: DecoderState, encoded: EncodedSource, usePrediction?: (t: number) => boolean): { logits: Tensor; weights: Tensor; state: DecoderState } {
    if (this.style === 'luong' && !this.inputFeeding && !usePrediction) {
      const next = this.#recur(this.#drop(this.embedding.forward(inputs)), state);
      const { context, weights } = this.#attend(next.output, encoded);
      return { logits: this.#predict(context, next.output).logits, weights, state: { h: next.h, c: next.c, feed: null } };
    }
    const steps = inputs.shape[1];
    const logits: Tensor[] = [];
    const weights: Tensor[] = [];
    let current = state;
    for (let t = 0; t < steps; t++) {
      const tokens = t > 0 && usePrediction?.(t) ? logits[t - 1].detach().argmax(-1) : inputs.slice(1, t, t + 1).squeeze(1);
      const result = this.step(tokens, current, encoded);
      logits.push(result.logits);
      weights.push(result.weights);
      current = result.state;
    }
    return { logits: stack(logits, 1), weights: stack(weights, 1), state: current };
  }
}
