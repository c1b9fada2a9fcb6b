import { paddingMask } from '@heed/attention';
import { DTypeError, Embedding, Linear, Module, ShapeError, ValueError, concat, dropout, full, getDefaultGenerator, tensor, zeros, type Generator, type Tensor } from '@heed/tensor';
import { AttentionDecoder, makeRecurrentLayer, type DecoderAttentionOptions, type DecoderState, type EncodedSource, type RecurrentCellKind } from './attention-decoder.js';
import { checkLengths } from './recurrent.js';
import { LSTM } from './lstm.js';
import type { RNNBase } from './rnn-base.js';
import { beamSearch, greedySearch, type BeamSearchOptions, type Seq2SeqHypothesis, type SearchOptions } from './search.js';

/** Options of {@link Seq2Seq}. */
export interface Seq2SeqOptions extends DecoderAttentionOptions {
  sourceVocabSize: number;
  targetVocabSize: number;
  /** Size of the source and target token embeddings (default 32). */
  embeddingDim?: number;
  /** Hidden size of the encoder (per direction) and the decoder (default 64). */
  hiddenSize?: number;
  /** Recurrent layer kind of the encoder and the decoder (default `lstm`). */
  cell?: RecurrentCellKind;
  /** Encoder layers (default 1). */
  encoderLayers?: number;
  /** Decoder layers (default 1). */
  decoderLayers?: number;
  /** Bidirectional encoder (default true). */
  bidirectional?: boolean;
  /**
   * Your own encoder instead of the built one: any {@link RNN}, {@link LSTM} or {@link GRU} with
   * `batchFirst: true` (the default) and `inputSize = embeddingDim`.
   */
  encoder?: RNNBase;
  /** Dropout on embeddings, between layers and on attentional vectors, in training (default 0). */
  dropout?: number;
  /** Padding token (default 0), start token (default 1) and end token (default 2). */
  padIndex?: number;
  bosIndex?: number;
  eosIndex?: number;
  /** The generator for initial weights, dropout and scheduled sampling (default: the global one). */
  generator?: Generator;
}

/** Options of {@link Seq2Seq.forward}. */
export interface Seq2SeqForwardOptions {
  /** Real length of each source sequence (default: up to its first padding token). */
  sourceLengths?: readonly number[] | Int32Array | Tensor;
  /**
   * Probability of feeding the true previous token at each step (default 1, full teacher forcing);
   * below 1, a step may be fed the model's own prediction instead (scheduled sampling).
   */
  teacherForcingRatio?: number;
}

/** What {@link Seq2Seq.forward} returns. */
export interface Seq2SeqOutput {
  /** `[B, T, V]`: `logits[:, t]` scores `target[:, t]`. */
  logits: Tensor;
  /** `[B, T, S]`: the attention weights of each target step over the source (the alignment matrix). */
  alignments: Tensor;
}

/**
 * An RNN encoder–decoder with attention (Bahdanau et al. 2015; Luong et al. 2015), the model in
 * which attention was born. The encoder (any of {@link RNN}, {@link LSTM}, {@link GRU}, by default
 * a bidirectional LSTM) reads the source; the decoder attends over the encoder's outputs with any
 * score from `@heed/scoring` at every step. Trains with teacher forcing; decodes greedily or by
 * beam search; returns the alignment matrix.
 *
 * Legend: `B` batch, `S` source length, `T` target length, `V` target vocabulary, `H` hidden size.
 *
 * @example
 * ```ts
 * const model = new Seq2Seq({ sourceVocabSize: 60, targetVocabSize: 14, score: 'additive', style: 'bahdanau' });
 * const { logits, alignments } = model.forward(source, target); // [B, S] and [B, T] int32
 * const loss = crossEntropy(logits.reshape([-1, 14]), target.reshape([-1]), { ignoreIndex: 0 });
 * model.eval();
 * const [best] = model.beamSearch(source, { beamSize: 4 })[0];
 * console.log(best.tokens, best.alignment); // token ids, [tokens][S] weights
 * ```
 */
export class Seq2Seq extends Module {
  readonly sourceEmbedding: Embedding;
  readonly encoder: RNNBase;
  /** Maps the encoder's final states (top layer, both directions) to the decoder's initial states. */
  readonly bridge: Linear;
  readonly decoder: AttentionDecoder;
  readonly padIndex: number;
  readonly bosIndex: number;
  readonly eosIndex: number;
  readonly #dropout: number;
  readonly #generator: Generator | undefined;

  constructor(options: Seq2SeqOptions) {
    super();
    const embeddingDim = options.embeddingDim ?? 32;
    const hiddenSize = options.hiddenSize ?? 64;
    const cell = options.cell ?? 'lstm';
    this.padIndex = options.padIndex ?? 0;
    this.bosIndex = options.bosIndex ?? 1;
    this.eosIndex = options.eosIndex ?? 2;
    this.#dropout = options.dropout ?? 0;
    this.#generator = options.generator;
    const random = options.generator ? { generator: options.generator } : {};
    this.sourceEmbedding = this.registerModule('sourceEmbedding', new Embedding(options.sourceVocabSize, embeddingDim, { ...random, paddingIdx: this.padIndex }));
    const encoderLayers = options.encoderLayers ?? 1;
    const encoder =
      options.encoder ??
      makeRecurrentLayer(cell, embeddingDim, hiddenSize, { numLayers: encoderLayers, bidirectional: options.bidirectional ?? true, ...random });
    if (!encoder.batchFirst) throw new ValueError('Seq2Seq', 'encoder', 'must be built with batchFirst: true');
    if (encoder.inputSize !== embeddingDim) throw new ValueError('Seq2Seq', 'encoder', `inputSize is ${encoder.inputSize}, but embeddingDim is ${embeddingDim}`);
    this.encoder = this.registerModule('encoder', encoder);
    const memoryDim = encoder.directions * encoder.outputSize;
    const decoderLayers = options.decoderLayers ?? 1;
    this.bridge = this.registerModule('bridge', new Linear(memoryDim, decoderLayers * hiddenSize, random));
    this.decoder = this.registerModule(
      'decoder',
      new AttentionDecoder({
        vocabSize: options.targetVocabSize,
        embeddingDim,
        hiddenSize,
        memoryDim,
        numLayers: decoderLayers,
        cell,
        style: options.style ?? 'luong',
        inputFeeding: options.inputFeeding ?? false,
        score: options.score ?? 'general',
        ...(options.attentionDim === undefined ? {} : { attentionDim: options.attentionDim }),
        dropout: this.#dropout,
        padIndex: this.padIndex,
        ...random,
      }),
    );
  }

  #checkTokens(argument: string, tokens: Tensor): void {
    if (tokens.dtype !== 'int32') throw new DTypeError('Seq2Seq', argument, 'int32', tokens.dtype);
    if (tokens.rank !== 2 || tokens.shape[1] < 1) throw new ShapeError('Seq2Seq', argument, '[B, length ≥ 1] token ids', tokens.shape);
  }

  /**
   * Encodes `source` (int32 [B, S]); lengths default to the position of each row's first padding
   * token. Returns the attention memory and the decoder's initial state.
   */
  encode(source: Tensor, sourceLengths?: Seq2SeqForwardOptions['sourceLengths']): { encoded: EncodedSource; state: DecoderState } {
    this.#checkTokens('source', source);
    const [batch, steps] = source.shape;
    const ids = source.dataSync();
    const lengths = sourceLengths
      ? (checkLengths('Seq2Seq', sourceLengths, batch, steps) ?? new Int32Array(batch).fill(steps))
      : Int32Array.from({ length: batch }, (_, b) => {
          const row = Array.from(ids.subarray(b * steps, (b + 1) * steps));
          const first = row.indexOf(this.padIndex);
          return first === -1 ? steps : Math.max(1, first);
        });
    let embedded = this.sourceEmbedding.forward(source);
    if (this.#dropout > 0) embedded = dropout(embedded, this.#dropout, this.training, this.#generator);
    const result = this.encoder.forward(embedded, { lengths });
    const directions = this.encoder.directions;
    const layers = this.encoder.numLayers;
    // The top layer's final states, both directions side by side: [B, dirs·H].
    const top = result.hN.slice(0, (layers - 1) * directions).permute([1, 0, 2]).reshape([batch, directions * this.encoder.outputSize]);
    const hidden = this.decoder.hiddenSize;
    const h = this.bridge.forward(top).tanh().reshape([batch, this.decoder.numLayers, hidden]).permute([1, 0, 2]).contiguous();
    const c = this.decoder.rnn instanceof LSTM ? zeros([this.decoder.numLayers, batch, hidden]) : null;
    const mask = paddingMask(Array.from(lengths), steps).reshape([batch, 1, steps]);
    return { encoded: { memory: result.output, mask, lengths }, state: { h, c, feed: null } };
  }

  /**
   * Teacher-forced pass: the decoder reads the start token then `target[:, :-1]`, and its logits
   * at step t score `target[:, t]`.
   *
   * @param source - int32 [B, S] source token ids (padded with `padIndex`)
   * @param target - int32 [B, T] target token ids, ending with `eosIndex` then padding
   * @returns logits [B, T, V] and the alignment matrix [B, T, S]
   */
  forward(source: Tensor, target: Tensor, options: Seq2SeqForwardOptions = {}): Seq2SeqOutput {
    this.#checkTokens('target', target);
    const ratio = options.teacherForcingRatio ?? 1;
    if (!(ratio >= 0 && ratio <= 1)) throw new ValueError('Seq2Seq', 'teacherForcingRatio', `must be in [0, 1], got ${ratio}`);
    const { encoded, state } = this.encode(source, options.sourceLengths);
    const [batch, steps] = target.shape;
    const start = full([batch, 1], this.bosIndex, { dtype: 'int32' });
    const inputs = steps > 1 ? concat([start, target.slice(1, 0, steps - 1)], 1) : start;
    const generator = this.#generator ?? getDefaultGenerator();
    const usePrediction = ratio < 1 ? () => generator.nextFloat() >= ratio : undefined;
    const { logits, weights } = this.decoder.teacherForced(inputs, state, encoded, usePrediction);
    return { logits, alignments: weights };
  }

  /**
   * Greedy decoding (the most likely token at each step), one hypothesis per source sequence.
   * Call `eval()` first to switch dropout off.
   *
   * @param source - int32 [B, S]
   * @returns per sequence: tokens, alignment [tokens][S_b], log-probability
   */
  greedyDecode(source: Tensor, options: SearchOptions & Pick<Seq2SeqForwardOptions, 'sourceLengths'> = {}): Seq2SeqHypothesis[] {
    const { encoded, state } = this.encode(source, options.sourceLengths);
    return greedySearch(this.decoder, encoded, state, this, options);
  }

  /**
   * Beam-search decoding: per source sequence, up to `beamSize` hypotheses, best first.
   * Call `eval()` first to switch dropout off.
   *
   * @param source - int32 [B, S]
   * @returns per sequence, its hypotheses (tokens, alignment [tokens][S_b], score), best first
   */
  beamSearch(source: Tensor, options: BeamSearchOptions & Pick<Seq2SeqForwardOptions, 'sourceLengths'> = {}): Seq2SeqHypothesis[][] {
    const { encoded, state } = this.encode(source, options.sourceLengths);
    return beamSearch(this.decoder, encoded, state, this, options);
  }
}

/** Token ids as an int32 tensor [B, L], each row padded with `padIndex` to the longest. */
export function padSequences(sequences: readonly (readonly number[])[], padIndex = 0): Tensor {
  const length = Math.max(1, ...sequences.map((sequence) => sequence.length));
  const data = new Int32Array(sequences.length * length).fill(padIndex);
  sequences.forEach((sequence, row) => data.set(sequence, row * length));
  return tensor(data, { dtype: 'int32', shape: [sequences.length, length] });
}
