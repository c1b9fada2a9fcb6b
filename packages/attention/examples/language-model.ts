// A decoder-only (GPT-style) language model built from heed's Transformer layers: token
// embedding + learned positions → N pre-norm causal Transformer blocks → final LayerNorm →
// linear head (tied to the embedding by default), with key/value-cached sampling.
import {
  Embedding,
  Generator,
  LayerNorm,
  Linear,
  Module,
  ShapeError,
  ValueError,
  dropout,
  linear,
  noGrad,
  normal,
  tensor,
  LearnedPositionalEmbedding,
  TransformerEncoder,
  TransformerEncoderLayer,
  type KeyValueCache,
  type Tensor,
} from './example-imports.js';

/** Options of {@link DecoderOnlyLanguageModel}. */
export interface DecoderOnlyLanguageModelOptions {
  /** Number of token ids, V (a `Vocabulary`'s `size`). */
  vocabSize: number;
  /** The longest sequence the model sees, T_max (rows of the position table). */
  contextLength: number;
  /** Model width E (default 64). */
  dModel?: number;
  /** Attention heads H, dividing E (default 4). */
  nhead?: number;
  /** Transformer blocks N (default 2). */
  numLayers?: number;
  /** Feed-forward width (default 4·E, as GPT-2). */
  dimFeedforward?: number;
  /** Dropout in the blocks and on the embeddings, in training mode (default 0). */
  dropout?: number;
  /** Use the token embedding as the output projection (GPT-2's weight tying; default true). */
  tieWeights?: boolean;
  /** Generator for the initial weights and dropout (default: the global one). */
  generator?: Generator;
}

/** Options of {@link DecoderOnlyLanguageModel.generate}. */
export interface GenerateOptions {
  /** How many tokens to sample after the prompt. */
  maxNewTokens: number;
  /** Divides the logits before sampling (default 1); 0 picks the most likely token (greedy). */
  temperature?: number;
  /** Sample only among the k most likely tokens (default: all). */
  topK?: number;
  /** Generator for the draws (default: a new `Generator(0)`, so sampling is repeatable). */
  generator?: Generator;
  /** Token ids never to sample (e.g. `<pad>`, `<unk>`). */
  suppress?: readonly number[];
  /** Stop after sampling this id (e.g. `<eos>`). */
  stopAt?: number;
}

/**
 * A decoder-only Transformer language model, the GPT recipe on heed's PyTorch-compatible
 * layers: `logits = head(norm(blocks(tokenEmbedding(ids) + positions)))`, each block a
 * `TransformerEncoderLayer` with `normFirst: true` and `activation: 'gelu'` run with
 * `isCausal: true`. State dict names follow PyTorch: `token_embedding.weight`,
 * `position_embedding.weight`, `encoder.layers.0.self_attn.in_proj_weight`, …,
 * `encoder.norm.weight` (the final LayerNorm), and `lm_head.weight` when not tied.
 *
 * Unlike `nn.TransformerEncoder`'s copies, each block gets its own initial weights (as GPT-2).
 * Embeddings start at N(0, 0.02²).
 *
 * Legend: `B` batch, `T` tokens, `E` width, `V` vocabulary size.
 *
 * @example
 * ```ts
 * const model = new DecoderOnlyLanguageModel({ vocabSize: 40, contextLength: 64, generator: new Generator(1) });
 * const logits = model.forward(ids);                          // ids int32 [B, T] → [B, T, 40]
 * const text = model.generate([3, 17], { maxNewTokens: 20, temperature: 0.8, topK: 5 });
 * ```
 */
export class DecoderOnlyLanguageModel extends Module {
  readonly tokenEmbedding: Embedding;
  readonly positionEmbedding: LearnedPositionalEmbedding;
  readonly encoder: TransformerEncoder;
  /** The output projection [V, E], or null when tied to the token embedding. */
  readonly lmHead: Linear | null;
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly dModel: number;
  readonly #dropout: number;
  readonly #generator: Generator | undefined;

  constructor(options: DecoderOnlyLanguageModelOptions) {
    super();
    const { vocabSize, contextLength, dModel = 64, nhead = 4, numLayers = 2, dropout = 0, generator } = options;
    for (const [name, value] of [['vocabSize', vocabSize], ['contextLength', contextLength], ['numLayers', numLayers]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new ValueError('DecoderOnlyLanguageModel', name, `must be a positive integer, got ${value}`);
    }
    this.vocabSize = vocabSize;
    this.contextLength = contextLength;
    this.dModel = dModel;
    this.#dropout = dropout;
    this.#generator = generator;
    const random = generator ? { generator } : {};
    this.tokenEmbedding = this.registerModule('token_embedding', new Embedding(vocabSize, dModel, random));
    noGrad(() => this.tokenEmbedding.weight.assign(normal([vocabSize, dModel], 0, 0.02, random)));
    this.positionEmbedding = this.registerModule('position_embedding', new LearnedPositionalEmbedding(contextLength, dModel, random));
    const layerOptions = { dimFeedforward: options.dimFeedforward ?? 4 * dModel, dropout, activation: 'gelu', normFirst: true, ...random } as const;
    const block = new TransformerEncoderLayer(dModel, nhead, layerOptions);
    this.encoder = this.registerModule('encoder', new TransformerEncoder(block, numLayers, { norm: new LayerNorm(dModel) }));
    // The encoder's layers are copies of `block`; give each its own initial weights.
    this.encoder.layers.items.forEach((layer, index) => {
      if (index > 0) layer.loadStateDict(new TransformerEncoderLayer(dModel, nhead, layerOptions).stateDict());
    });
    this.lmHead = options.tieWeights === false ? this.registerModule('lm_head', new Linear(dModel, vocabSize, { bias: false, ...random })) : null;
  }

  /** One fresh key/value cache per block, for {@link DecoderOnlyLanguageModel.forward} with `caches`. */
  createCaches(): KeyValueCache[] {
    return this.encoder.createCaches();
  }

  /**
   * Next-token logits for every position.
   *
   * @param ids - int32 [B, T] token ids (T ≤ `contextLength` minus the cached length).
   * @param options.caches - per-block caches: the ids continue the cached sequence (positions
   *   start at the cached length), and the caches grow by T.
   * @returns [B, T, V] logits; position t predicts token t + 1.
   */
  forward(ids: Tensor, options: { caches?: readonly KeyValueCache[] } = {}): Tensor {
    if (ids.rank !== 2) throw new ShapeError('DecoderOnlyLanguageModel', 'ids', '[B, T]', ids.shape);
    const offset = options.caches?.[0]?.length ?? 0;
    if (offset + ids.shape[1] > this.contextLength) {
      throw new ValueError('DecoderOnlyLanguageModel', 'ids', `positions ${offset} … ${offset + ids.shape[1] - 1} exceed the context length ${this.contextLength}`);
    }
    let x = this.positionEmbedding.forward(this.tokenEmbedding.forward(ids), offset);
    if (this.#dropout > 0) x = dropout(x, this.#dropout, this.training, this.#generator);
    const hidden = this.encoder.forward(x, { isCausal: true, caches: options.caches ?? null });
    return this.lmHead ? this.lmHead.forward(hidden) : linear(hidden, this.tokenEmbedding.weight);
  }

  /**
   * Samples `maxNewTokens` ids after `prompt` one at a time through the key/value caches (each
   * step runs one token, not the whole prefix), with temperature and top-k. When the sequence
   * reaches `contextLength`, the caches restart from the last half-context of tokens. Runs in
   * evaluation mode under `noGrad`; restores the training mode afterwards.
   *
   * @returns the new ids (without the prompt).
   */
  generate(prompt: readonly number[], options: GenerateOptions): number[] {
    const { maxNewTokens, temperature = 1, topK, suppress = [], stopAt } = options;
    if (prompt.length === 0) throw new ValueError('DecoderOnlyLanguageModel.generate', 'prompt', 'needs at least one token (a <bos> id, say)');
    if (!(temperature >= 0)) throw new ValueError('DecoderOnlyLanguageModel.generate', 'temperature', `must be ≥ 0, got ${temperature}`);
    if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1)) throw new ValueError('DecoderOnlyLanguageModel.generate', 'topK', `must be a positive integer, got ${topK}`);
    const generator = options.generator ?? new Generator(0);
    const wasTraining = this.training;
    this.eval();
    try {
      return noGrad(() => {
        const sequence = [...prompt];
        const output: number[] = [];
        let caches = this.createCaches();
        let pending = sequence.slice(-this.contextLength);
        while (output.length < maxNewTokens) {
          if (caches[0].length + pending.length > this.contextLength) {
            caches = this.createCaches();
            pending = sequence.slice(-Math.ceil(this.contextLength / 2));
          }
          const logits = this.forward(tensor(Int32Array.from(pending), { dtype: 'int32', shape: [1, pending.length] }), { caches });
          const last = (logits.dataSync() as Float32Array).subarray((pending.length - 1) * this.vocabSize, pending.length * this.vocabSize);
          const next = sampleLogits(last, { temperature, topK, suppress, generator });
          output.push(next);
          sequence.push(next);
          pending = [next];
          if (next === stopAt) break;
        }
        return output;
      });
    } finally {
      this.train(wasTraining);
    }
  }
}

/**
 * Draws one id from `logits` [V]: the largest at temperature 0, else from
 * softmax(logits / temperature) restricted to the `topK` largest, without the `suppress`ed ids.
 */
export function sampleLogits(
  logits: ArrayLike<number>,
  options: { temperature?: number; topK?: number; suppress?: readonly number[]; generator: Generator },
): number {
  const { temperature = 1, topK = logits.length, suppress = [], generator } = options;
  const banned = new Set(suppress);
  const candidates: number[] = [];
  for (let id = 0; id < logits.length; id++) if (!banned.has(id)) candidates.push(id);
  if (candidates.length === 0) throw new ValueError('sampleLogits', 'suppress', 'every id is suppressed');
  candidates.sort((a, b) => logits[b] - logits[a] || a - b);
  if (temperature === 0) return candidates[0];
  const kept = candidates.slice(0, Math.min(topK, candidates.length));
  const top = logits[kept[0]];
  const weights = kept.map((id) => Math.exp((logits[id] - top) / temperature));
  let draw = generator.nextFloat() * weights.reduce((total, weight) => total + weight, 0);
  for (let index = 0; index < kept.length; index++) {
    draw -= weights[index];
    if (draw < 0) return kept[index];
  }
  return kept[kept.length - 1];
}
