// A decoder-only (GPT-style) language model: token embedding + learned positions → causal
// pre-norm Transformer blocks → final LayerNorm → a head tied to the embedding.
import { LearnedPositionalEmbedding, TransformerEncoder, TransformerEncoderLayer, type KeyValueCache } from '@heed/attention';
import { Embedding, LayerNorm, Module, linear, noGrad, normal, type Generator, type Tensor } from '@heed/tensor';

export interface TinyGPTOptions {
  vocabSize: number;
  contextLength: number;
  dModel: number;
  nhead: number;
  numLayers: number;
  generator?: Generator;
}

export class TinyGPT extends Module {
  readonly tokens: Embedding;
  readonly positions: LearnedPositionalEmbedding;
  readonly blocks: TransformerEncoder;

  constructor(readonly options: TinyGPTOptions) {
    super();
    const { vocabSize, contextLength, dModel, nhead, numLayers, generator } = options;
    const random = generator ? { generator } : {};
    this.tokens = this.registerModule('token_embedding', new Embedding(vocabSize, dModel, random));
    noGrad(() => this.tokens.weight.assign(normal([vocabSize, dModel], 0, 0.02, random)));
    this.positions = this.registerModule('position_embedding', new LearnedPositionalEmbedding(contextLength, dModel, random));
    const block = new TransformerEncoderLayer(dModel, nhead, { dimFeedforward: 4 * dModel, dropout: 0, activation: 'gelu', normFirst: true, ...random });
    this.blocks = this.registerModule('encoder', new TransformerEncoder(block, numLayers, { norm: new LayerNorm(dModel) }));
  }

  /** ids int32 [B, T] → next-token logits [B, T, V]. With caches, the ids continue the cached sequence. */
  forward(ids: Tensor, caches?: KeyValueCache[]): Tensor {
    const offset = caches?.[0]?.length ?? 0; // positions go on from the cached length
    const x = this.positions.forward(this.tokens.forward(ids), offset);
    const hidden = this.blocks.forward(x, { isCausal: true, caches });
    return linear(hidden, this.tokens.weight); // tied weights: logits = hidden · embeddingᵀ
  }

  /** One fresh key/value cache per block, for decoding a token at a time. */
  createCaches(): KeyValueCache[] {
    return this.blocks.createCaches();
  }
}
