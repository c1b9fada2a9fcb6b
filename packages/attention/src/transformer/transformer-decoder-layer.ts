import { LayerNorm, Linear, Module, ShapeError, type Tensor } from '@heed/tensor';
import type { KeyValueCache } from '../key-value-cache.js';
import type { AttentionMask } from '../masks.js';
import { MultiHeadAttention } from '../multi-head-attention.js';
import {
  feedForwardBlock,
  layerDropout,
  resolveTransformerLayerOptions,
  type ResolvedTransformerLayerOptions,
  type TransformerLayerOptions,
} from './transformer-layer-options.js';

/** Key/value caches of one decoder layer: its self-attention (appending) and its cross-attention (static). */
export interface TransformerDecoderLayerCaches {
  readonly self: KeyValueCache;
  readonly cross: KeyValueCache;
}

/** Per-call options of {@link TransformerDecoderLayer.forward}, PyTorch's arguments camelCased. */
export interface TransformerDecoderLayerCallOptions {
  /** PyTorch's `tgt_mask`: `[L, L]` or `[B·H, L, L]`, bool with **true = may not attend**, or additive float. */
  tgtMask?: AttentionMask | null;
  /** PyTorch's `memory_mask`: `[L, S]` or `[B·H, L, S]`, bool with **true = may not attend**, or additive float. */
  memoryMask?: AttentionMask | null;
  /** PyTorch's `tgt_key_padding_mask`: bool `[B, L]`, **true = padding**. */
  tgtKeyPaddingMask?: AttentionMask | null;
  /** PyTorch's `memory_key_padding_mask`: bool `[B, S]`, **true = padding**. */
  memoryKeyPaddingMask?: AttentionMask | null;
  /** Causal self-attention over the target (bottom-right aligned); PyTorch's `tgt_is_causal`. */
  tgtIsCausal?: boolean;
  /** Causal cross-attention (rare); PyTorch's `memory_is_causal`. */
  memoryIsCausal?: boolean;
  /** Caches (from {@link TransformerDecoderLayer.createCaches}) for step-by-step decoding. */
  caches?: TransformerDecoderLayerCaches | null;
}

/**
 * One Transformer decoder layer (Vaswani et al. 2017), PyTorch's `nn.TransformerDecoderLayer`:
 * self-attention over the target, cross-attention to the encoder's output (`memory`), and a
 * feed-forward network, each with dropout, a residual and a layer norm (post-norm by default,
 * pre-norm with `normFirst`). PyTorch's parameter names: `self_attn.*`, `multihead_attn.*`,
 * `linear1.*`, `linear2.*`, `norm1.*`, `norm2.*`, `norm3.*`.
 *
 * Legend: `B` batch, `L` target length, `S` memory (source) length, `E` = `dModel`, `H` = `nhead`.
 *
 * @example
 * ```ts
 * import { TransformerDecoderLayer } from '@heed/attention';
 * import { randn } from '@heed/tensor';
 *
 * const layer = new TransformerDecoderLayer(16, 4, { dimFeedforward: 32, dropout: 0 });
 * const tgt = randn([2, 3, 16]);    // [B, L, E]
 * const memory = randn([2, 7, 16]); // [B, S, E]
 * layer.forward(tgt, memory, { tgtIsCausal: true }).shape; // [2, 3, 16]
 * ```
 */
export class TransformerDecoderLayer extends Module {
  readonly selfAttn: MultiHeadAttention;
  readonly multiheadAttn: MultiHeadAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly norm3: LayerNorm;
  /** The options with their defaults filled in. */
  readonly config: ResolvedTransformerLayerOptions;

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    readonly options: TransformerLayerOptions = {},
  ) {
    super();
    const config = resolveTransformerLayerOptions('TransformerDecoderLayer', dModel, nhead, options);
    this.config = config;
    const random = config.generator ? { generator: config.generator } : {};
    const attention = (): MultiHeadAttention =>
      new MultiHeadAttention(dModel, nhead, { dropout: config.attentionDropout, bias: config.bias, batchFirst: config.batchFirst, attentionCore: config.attentionCore, ...random });
    this.selfAttn = this.registerModule('self_attn', attention());
    this.multiheadAttn = this.registerModule('multihead_attn', attention());
    this.linear1 = this.registerModule('linear1', new Linear(dModel, config.dimFeedforward, { bias: config.bias, ...random }));
    this.linear2 = this.registerModule('linear2', new Linear(config.dimFeedforward, dModel, { bias: config.bias, ...random }));
    const norm = (): LayerNorm => new LayerNorm(dModel, { eps: config.layerNormEps, bias: config.bias });
    this.norm1 = this.registerModule('norm1', norm());
    this.norm2 = this.registerModule('norm2', norm());
    this.norm3 = this.registerModule('norm3', norm());
  }

  /** Fresh caches for step-by-step decoding: the self-attention's appends, the cross-attention's keeps the projected memory. */
  createCaches(): TransformerDecoderLayerCaches {
    return { self: this.selfAttn.createCache(), cross: this.multiheadAttn.createCache({ static: true }) };
  }

  /** A copy with the same options and parameter values (what PyTorch's `TransformerDecoder` deep-copies). */
  clone(): TransformerDecoderLayer {
    const copy = new TransformerDecoderLayer(this.dModel, this.nhead, this.options);
    copy.loadStateDict(this.stateDict());
    return copy.train(this.training);
  }

  /**
   * @param tgt - `[B, L, E]` (`[L, B, E]` when not `batchFirst`; `[L, E]` unbatched).
   * @param memory - `[B, S, E]`, the encoder's output (same layout as `tgt`).
   * @param options - masks (PyTorch's meanings), `tgtIsCausal`, `memoryIsCausal`, `caches`.
   * @returns the same shape as `tgt`.
   */
  forward(tgt: Tensor, memory: Tensor, options: TransformerDecoderLayerCallOptions = {}): Tensor {
    const op = 'TransformerDecoderLayer';
    if (tgt.rank < 2 || tgt.rank > 3 || tgt.shape[tgt.rank - 1] !== this.dModel) throw new ShapeError(op, 'tgt', `[B, L, ${this.dModel}] or [L, ${this.dModel}]`, tgt.shape);
    if (memory.rank !== tgt.rank || memory.shape[memory.rank - 1] !== this.dModel) {
      throw new ShapeError(op, 'memory', tgt.rank === 3 ? `[B, S, ${this.dModel}] like tgt` : `[S, ${this.dModel}] like tgt`, memory.shape);
    }
    let x = tgt;
    if (this.config.normFirst) {
      x = x.add(this.#selfAttentionBlock(this.norm1.forward(x), options));
      x = x.add(this.#crossAttentionBlock(this.norm2.forward(x), memory, options));
      return x.add(feedForwardBlock(this, this.norm3.forward(x)));
    }
    x = this.norm1.forward(x.add(this.#selfAttentionBlock(x, options)));
    x = this.norm2.forward(x.add(this.#crossAttentionBlock(x, memory, options)));
    return this.norm3.forward(x.add(feedForwardBlock(this, x)));
  }

  #selfAttentionBlock(x: Tensor, options: TransformerDecoderLayerCallOptions): Tensor {
    const { output } = this.selfAttn.forward(x, x, x, {
      attnMask: options.tgtMask ?? null,
      keyPaddingMask: options.tgtKeyPaddingMask ?? null,
      causal: options.tgtIsCausal ?? false,
      needWeights: false,
      cache: options.caches?.self ?? null,
    });
    return layerDropout(this, output);
  }

  #crossAttentionBlock(x: Tensor, memory: Tensor, options: TransformerDecoderLayerCallOptions): Tensor {
    const { output } = this.multiheadAttn.forward(x, memory, memory, {
      attnMask: options.memoryMask ?? null,
      keyPaddingMask: options.memoryKeyPaddingMask ?? null,
      causal: options.memoryIsCausal ?? false,
      needWeights: false,
      cache: options.caches?.cross ?? null,
    });
    return layerDropout(this, output);
  }
}
