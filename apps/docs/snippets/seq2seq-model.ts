// An RNN encoder–decoder with attention (Bahdanau et al. 2014; Luong et al. 2015), in heed.
import { Attention } from '@heed/attention';
import { GRU, GRUCell } from '@heed/rnn';
import { GeneralScore } from '@heed/scoring';
import { Embedding, Linear, Module, concat, full, stack, type Generator, type Tensor } from '@heed/tensor';

export interface Seq2SeqOptions {
  /** Number of tokens; one more id, `vocabulary`, is the decoder's start token. */
  vocabulary: number;
  hiddenSize: number;
  embeddingSize?: number;
  generator?: Generator;
}

export class Seq2Seq extends Module {
  readonly embed: Embedding;
  readonly encoder: GRU;
  readonly decoder: GRUCell;
  readonly attention: Attention;
  readonly out: Linear;
  readonly start: number;

  constructor(options: Seq2SeqOptions) {
    super();
    const { vocabulary, hiddenSize, embeddingSize = 16, generator } = options;
    const random = generator ? { generator } : {};
    const memorySize = 2 * hiddenSize; // a bidirectional encoder: each state sees both directions
    this.start = vocabulary;
    this.embed = this.registerModule('embed', new Embedding(vocabulary + 1, embeddingSize, random));
    this.encoder = this.registerModule('encoder', new GRU(embeddingSize, hiddenSize, { batchFirst: true, bidirectional: true, ...random }));
    // The decoder reads the previous token and the previous context (Luong's "input feeding").
    this.decoder = this.registerModule('decoder', new GRUCell(embeddingSize + memorySize, hiddenSize, random));
    this.attention = this.registerModule('attention', new Attention({ score: new GeneralScore(hiddenSize, memorySize, random) }));
    this.out = this.registerModule('out', new Linear(hiddenSize + memorySize, vocabulary, random));
  }

  /**
   * Decodes `steps` tokens. With `target` (int32 [B, T]) the decoder reads the true previous
   * token (teacher forcing); without it, its own best guess (greedy decoding).
   * @param source - int32 `[B, S]`.
   * @returns logits `[B, T, V]` and the attention weights `[B, T, S]` (the alignment).
   */
  forward(source: Tensor, steps: number, target?: Tensor): { logits: Tensor; weights: Tensor } {
    const batch = source.shape[0] ?? 1;
    const { output: memory, hN } = this.encoder.forward(this.embed.forward(source)); // [B, S, 2H], [2, B, H]
    let state = hN.mean(0); //                                                             [B, H]
    let context = memory.mean(1); //                                                       [B, 2H]
    let previous = full([batch], this.start, { dtype: 'int32' });
    const logits: Tensor[] = [];
    const weights: Tensor[] = [];
    for (let step = 0; step < steps; step++) {
      state = this.decoder.forward(concat([this.embed.forward(previous), context], -1), state);
      // The decoder state asks; the encoder states answer.
      const attended = this.attention.forward(state.unsqueeze(1), memory, memory); // [B, 1, 2H], [B, 1, S]
      context = attended.output.squeeze(1);
      weights.push(attended.weights.squeeze(1));
      const stepLogits = this.out.forward(concat([state, context], -1)); //         [B, V]
      logits.push(stepLogits);
      previous = target ? target.slice(1, step, step + 1).squeeze(1) : stepLogits.argmax(-1);
    }
    return { logits: stack(logits, 1), weights: stack(weights, 1) };
  }
}
