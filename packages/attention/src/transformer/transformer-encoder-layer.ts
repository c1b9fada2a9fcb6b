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

/** Per-call options of {@link TransformerEncoderLayer.forward}, PyTorch's arguments camelCased. */
export interface TransformerEncoderLayerCallOptions {
  /**
   * PyTorch's `src_mask`: `[L, L]` or `[B·H, L, L]`, bool with **true = may not attend**, or an
   * additive float mask (e.g. `Transformer.generateSquareSubsequentMask(L)`).
   */
  srcMask?: AttentionMask | null;
  /** PyTorch's `src_key_padding_mask`: bool `[B, L]` with **true = padding** (or additive float). */
  srcKeyPaddingMask?: AttentionMask | null;
  /** Causal self-attention (bottom-right aligned), with or without `srcMask`; PyTorch's `is_causal`. */
  isCausal?: boolean;
  /** A key/value cache (from {@link TransformerEncoderLayer.createCache}) for step-by-step decoding. */
  cache?: KeyValueCache | null;
}

/**
 * One Transformer encoder layer (Vaswani et al. 2017), PyTorch's `nn.TransformerEncoderLayer`:
 * self-attention and a feed-forward network, each with dropout, a residual connection and a
 * layer norm (after the residual by default, before with `normFirst`). Parameter names are
 * PyTorch's, so a saved state dict loads unchanged: `self_attn.in_proj_weight`,
 * `self_attn.in_proj_bias`, `self_attn.out_proj.weight` / `.bias`, `linear1.*`, `linear2.*`,
 * `norm1.*`, `norm2.*`. Run with `isCausal: true` it is a decoder-only (GPT-style) block, and with
 * a cache it decodes one token at a time.
 *
 * Legend: `B` batch, `L` sequence length, `E` = `dModel`, `H` = `nhead`, `F` = `dimFeedforward`.
 *
 * @example
 * ```ts
 * import { TransformerEncoderLayer } from '@heed/attention';
 * import { randn, tensor } from '@heed/tensor';
 *
 * const layer = new TransformerEncoderLayer(16, 4, { dimFeedforward: 32, dropout: 0 });
 * const src = randn([2, 5, 16]);                                  // [B, L, E]
 * const padding = tensor([[false, false, false, true, true], [false, false, false, false, false]]);
 * layer.forward(src, { srcKeyPaddingMask: padding }).shape;        // [2, 5, 16]
 * layer.forward(src, { isCausal: true }).shape;                    // [2, 5, 16]
 * ```
 */
export class TransformerEncoderLayer extends Module {
  readonly selfAttn: MultiHeadAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  /** The options with their defaults filled in. */
  readonly config: ResolvedTransformerLayerOptions;

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    readonly options: TransformerLayerOptions = {},
  ) {
    super();
    const config = resolveTransformerLayerOptions('TransformerEncoderLayer', dModel, nhead, options);
    this.config = config;
    const random = config.generator ? { generator: config.generator } : {};
    this.selfAttn = this.registerModule(
      'self_attn',
      new MultiHeadAttention(dModel, nhead, { dropout: config.attentionDropout, bias: config.bias, batchFirst: config.batchFirst, attentionCore: config.attentionCore, ...random }),
    );
    this.linear1 = this.registerModule('linear1', new Linear(dModel, config.dimFeedforward, { bias: config.bias, ...random }));
    this.linear2 = this.registerModule('linear2', new Linear(config.dimFeedforward, dModel, { bias: config.bias, ...random }));
    this.norm1 = this.registerModule('norm1', new LayerNorm(dModel, { eps: config.layerNormEps, bias: config.bias }));
    this.norm2 = this.registerModule('norm2', new LayerNorm(dModel, { eps: config.layerNormEps, bias: config.bias }));
  }

  /** A fresh key/value cache for this layer's self-attention. */
  createCache(): KeyValueCache {
    return this.selfAttn.createCache();
  }

  /** A copy with the same options and the same parameter values (what PyTorch's `TransformerEncoder` deep-copies). */
  clone(): TransformerEncoderLayer {
    const copy = new TransformerEncoderLayer(this.dModel, this.nhead, this.options);
    copy.loadStateDict(this.stateDict());
    return copy.train(this.training);
  }

  /**
   * @param src - `[B, L, E]` (`[L, B, E]` when not `batchFirst`; `[L, E]` unbatched).
   * @param options - `srcMask`, `srcKeyPaddingMask` (true = padding), `isCausal`, `cache`.
   * @returns the same shape as `src`.
   */
  forward(src: Tensor, options: TransformerEncoderLayerCallOptions = {}): Tensor {
    if (src.rank < 2 || src.rank > 3 || src.shape[src.rank - 1] !== this.dModel) {
      throw new ShapeError('TransformerEncoderLayer', 'src', `[B, L, ${this.dModel}] or [L, ${this.dModel}]`, src.shape);
    }
    let x = src;
    if (this.config.normFirst) {
      x = x.add(this.#selfAttentionBlock(this.norm1.forward(x), options));
      return x.add(feedForwardBlock(this, this.norm2.forward(x)));
    }
    x = this.norm1.forward(x.add(this.#selfAttentionBlock(x, options)));
    return this.norm2.forward(x.add(feedForwardBlock(this, x)));
  }

  #selfAttentionBlock(x: Tensor, options: TransformerEncoderLayerCallOptions): Tensor {
    const { output } = this.selfAttn.forward(x, x, x, {
      attnMask: options.srcMask ?? null,
      keyPaddingMask: options.srcKeyPaddingMask ?? null,
      causal: options.isCausal ?? false,
      needWeights: false,
      cache: options.cache ?? null,
    });
    return layerDropout(this, output);
  }
}
