import { ModuleList, Module, ValueError, type LayerNorm, type Tensor } from '@heed/tensor';
import type { TransformerDecoderLayer, TransformerDecoderLayerCaches, TransformerDecoderLayerCallOptions } from './transformer-decoder-layer.js';

/** Options of {@link TransformerDecoder}. */
export interface TransformerDecoderOptions {
  /** A final layer norm after the last layer (PyTorch's `norm`; `nn.Transformer` passes one). */
  norm?: LayerNorm | null;
}

/** Per-call options of {@link TransformerDecoder.forward}: the layer's, with one cache pair per layer. */
export interface TransformerDecoderCallOptions extends Omit<TransformerDecoderLayerCallOptions, 'caches'> {
  /** One cache pair per layer ({@link TransformerDecoder.createCaches}) for step-by-step decoding. */
  caches?: readonly TransformerDecoderLayerCaches[] | null;
}

/**
 * A stack of `numLayers` copies of a decoder layer with an optional final norm, PyTorch's
 * `nn.TransformerDecoder`: parameters `layers.0.self_attn.*`, `layers.0.multihead_attn.*`, …,
 * `norm.*`. The copies start with the given layer's values, as in PyTorch.
 *
 * Legend: `B` batch, `L` target length, `S` memory length, `E` model width.
 *
 * @example
 * ```ts
 * import { TransformerDecoder, TransformerDecoderLayer } from '@heed/attention';
 * import { randn } from '@heed/tensor';
 *
 * const decoder = new TransformerDecoder(new TransformerDecoderLayer(16, 2, { dimFeedforward: 32, dropout: 0 }), 2);
 * decoder.forward(randn([2, 4, 16]), randn([2, 9, 16]), { tgtIsCausal: true }).shape; // [2, 4, 16]
 * ```
 */
export class TransformerDecoder extends Module {
  readonly layers: ModuleList<TransformerDecoderLayer>;
  readonly norm: LayerNorm | null;

  constructor(decoderLayer: TransformerDecoderLayer, readonly numLayers: number, options: TransformerDecoderOptions = {}) {
    super();
    if (!Number.isInteger(numLayers) || numLayers < 1) throw new ValueError('TransformerDecoder', 'numLayers', `must be a positive integer, got ${numLayers}`);
    this.layers = this.registerModule('layers', new ModuleList(Array.from({ length: numLayers }, () => decoderLayer.clone())));
    this.norm = options.norm ? this.registerModule('norm', options.norm) : null;
  }

  /** Fresh caches, one pair per layer (self-attention appends; cross-attention keeps the projected memory). */
  createCaches(): TransformerDecoderLayerCaches[] {
    return this.layers.items.map((layer) => layer.createCaches());
  }

  /**
   * @param tgt - `[B, L, E]` (`[L, B, E]` when the layers are not `batchFirst`).
   * @param memory - `[B, S, E]`, the encoder's output.
   * @returns the same shape as `tgt`.
   */
  forward(tgt: Tensor, memory: Tensor, options: TransformerDecoderCallOptions = {}): Tensor {
    const { caches, ...rest } = options;
    if (caches && caches.length !== this.layers.length) {
      throw new ValueError('TransformerDecoder', 'caches', `expected one cache pair per layer (${this.layers.length}), got ${caches.length}`);
    }
    let x = tgt;
    this.layers.items.forEach((layer, index) => {
      x = layer.forward(x, memory, { ...rest, caches: caches?.[index] ?? null });
    });
    return this.norm ? this.norm.forward(x) : x;
  }
}
