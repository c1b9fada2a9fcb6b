import { ModuleList, Module, ValueError, type LayerNorm, type Tensor } from '@heed/tensor';
import type { KeyValueCache } from '../key-value-cache.js';
import type { AttentionMask } from '../masks.js';
import type { TransformerEncoderLayer } from './transformer-encoder-layer.js';

/** Options of {@link TransformerEncoder}. */
export interface TransformerEncoderOptions {
  /** A final layer norm after the last layer (PyTorch's `norm`; `nn.Transformer` passes one). */
  norm?: LayerNorm | null;
}

/** Per-call options of {@link TransformerEncoder.forward}, PyTorch's arguments camelCased. */
export interface TransformerEncoderCallOptions {
  /** PyTorch's `mask`: `[L, L]` or `[B·H, L, L]`, bool **true = may not attend**, or additive float. */
  mask?: AttentionMask | null;
  /** PyTorch's `src_key_padding_mask`: bool `[B, L]`, **true = padding**. */
  srcKeyPaddingMask?: AttentionMask | null;
  /** Causal self-attention in every layer (bottom-right aligned); PyTorch's `is_causal`. */
  isCausal?: boolean;
  /** One key/value cache per layer ({@link TransformerEncoder.createCaches}) for step-by-step decoding. */
  caches?: readonly KeyValueCache[] | null;
}

/**
 * A stack of `numLayers` copies of an encoder layer with an optional final norm, PyTorch's
 * `nn.TransformerEncoder`: parameters `layers.0.self_attn.in_proj_weight`, …, `norm.weight`.
 * As in PyTorch the copies start with the given layer's values. With `isCausal: true` and
 * per-layer caches it is a decoder-only (GPT-style) model that decodes one token at a time.
 *
 * Legend: `B` batch, `L` sequence length, `E` model width.
 *
 * @example
 * ```ts
 * import { TransformerEncoder, TransformerEncoderLayer } from '@heed/attention';
 * import { LayerNorm, randn } from '@heed/tensor';
 *
 * const layer = new TransformerEncoderLayer(16, 2, { dimFeedforward: 32, dropout: 0, normFirst: true });
 * const encoder = new TransformerEncoder(layer, 2, { norm: new LayerNorm(16) });
 * const x = randn([1, 6, 16]);
 * const full = encoder.forward(x, { isCausal: true });           // [1, 6, 16]
 * const caches = encoder.createCaches();
 * for (let t = 0; t < 6; t++) encoder.forward(x.slice(1, t, t + 1), { isCausal: true, caches }); // one position at a time
 * ```
 */
export class TransformerEncoder extends Module {
  readonly layers: ModuleList<TransformerEncoderLayer>;
  readonly norm: LayerNorm | null;

  constructor(encoderLayer: TransformerEncoderLayer, readonly numLayers: number, options: TransformerEncoderOptions = {}) {
    super();
    if (!Number.isInteger(numLayers) || numLayers < 1) throw new ValueError('TransformerEncoder', 'numLayers', `must be a positive integer, got ${numLayers}`);
    this.layers = this.registerModule('layers', new ModuleList(Array.from({ length: numLayers }, () => encoderLayer.clone())));
    this.norm = options.norm ? this.registerModule('norm', options.norm) : null;
  }

  /** One fresh key/value cache per layer. */
  createCaches(): KeyValueCache[] {
    return this.layers.items.map((layer) => layer.createCache());
  }

  /**
   * @param src - `[B, L, E]` (`[L, B, E]` when the layers are not `batchFirst`).
   * @returns the same shape.
   */
  forward(src: Tensor, options: TransformerEncoderCallOptions = {}): Tensor {
    const caches = options.caches ?? null;
    if (caches && caches.length !== this.layers.length) {
      throw new ValueError('TransformerEncoder', 'caches', `expected one cache per layer (${this.layers.length}), got ${caches.length}`);
    }
    let x = src;
    this.layers.items.forEach((layer, index) => {
      x = layer.forward(x, {
        srcMask: options.mask ?? null,
        srcKeyPaddingMask: options.srcKeyPaddingMask ?? null,
        isCausal: options.isCausal ?? false,
        cache: caches?.[index] ?? null,
      });
    });
    return this.norm ? this.norm.forward(x) : x;
  }
}
