import { LayerNorm, Module, Tensor, ValueError, getBackend, type Backend } from '@heed/tensor';
import type { AttentionMask } from '../masks.js';
import { TransformerDecoder } from './transformer-decoder.js';
import { TransformerDecoderLayer } from './transformer-decoder-layer.js';
import { TransformerEncoder } from './transformer-encoder.js';
import { TransformerEncoderLayer } from './transformer-encoder-layer.js';
import type { TransformerLayerOptions } from './transformer-layer-options.js';

/** Options of {@link Transformer}: PyTorch's `nn.Transformer` arguments, camelCased, with its defaults. */
export interface TransformerOptions extends TransformerLayerOptions {
  /** Model width `E` (default 512). */
  dModel?: number;
  /** Attention heads (default 8). */
  nhead?: number;
  /** Encoder layers (default 6). */
  numEncoderLayers?: number;
  /** Decoder layers (default 6). */
  numDecoderLayers?: number;
}

/** Per-call options of {@link Transformer.forward}, PyTorch's arguments camelCased (bool masks: true = may not attend / padding). */
export interface TransformerCallOptions {
  /** `src_mask` `[S, S]`. */
  srcMask?: AttentionMask | null;
  /** `tgt_mask` `[L, L]`, e.g. `Transformer.generateSquareSubsequentMask(L)`. */
  tgtMask?: AttentionMask | null;
  /** `memory_mask` `[L, S]`. */
  memoryMask?: AttentionMask | null;
  /** `src_key_padding_mask` `[B, S]`, true = padding. */
  srcKeyPaddingMask?: AttentionMask | null;
  /** `tgt_key_padding_mask` `[B, L]`, true = padding. */
  tgtKeyPaddingMask?: AttentionMask | null;
  /** `memory_key_padding_mask` `[B, S]`, true = padding (usually the same as `srcKeyPaddingMask`). */
  memoryKeyPaddingMask?: AttentionMask | null;
  /** Causal source self-attention. */
  srcIsCausal?: boolean;
  /** Causal target self-attention (what a sequence-to-sequence decoder needs in training). */
  tgtIsCausal?: boolean;
  /** Causal cross-attention. */
  memoryIsCausal?: boolean;
}

/**
 * The encoder–decoder Transformer of Vaswani et al. (2017), PyTorch's `nn.Transformer`: an
 * encoder of `numEncoderLayers` layers and a decoder of `numDecoderLayers`, each stack followed
 * by a layer norm, with PyTorch's parameter names (`encoder.layers.0.self_attn.in_proj_weight`,
 * `encoder.norm.weight`, `decoder.layers.0.multihead_attn.out_proj.bias`, …), so a PyTorch state
 * dict saved with safetensors loads unchanged. Like PyTorch, it has no embeddings or positions:
 * feed it embedded sequences.
 *
 * Legend: `B` batch, `S` source length, `L` target length, `E` = `dModel`.
 *
 * @example
 * ```ts
 * import { Transformer } from '@heed/attention';
 * import { randn } from '@heed/tensor';
 *
 * const model = new Transformer({ dModel: 16, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 32, dropout: 0 });
 * const src = randn([2, 7, 16]); // [B, S, E]
 * const tgt = randn([2, 4, 16]); // [B, L, E]
 * model.forward(src, tgt, { tgtMask: Transformer.generateSquareSubsequentMask(4) }).shape; // [2, 4, 16]
 * ```
 */
export class Transformer extends Module {
  readonly encoder: TransformerEncoder;
  readonly decoder: TransformerDecoder;
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;

  constructor(readonly options: TransformerOptions = {}) {
    super();
    const { dModel = 512, nhead = 8, numEncoderLayers = 6, numDecoderLayers = 6, ...layerOptions } = options;
    this.dModel = dModel;
    this.nhead = nhead;
    this.batchFirst = layerOptions.batchFirst ?? true;
    const norm = (): LayerNorm => new LayerNorm(dModel, { eps: layerOptions.layerNormEps ?? 1e-5, bias: layerOptions.bias ?? true });
    this.encoder = this.registerModule('encoder', new TransformerEncoder(new TransformerEncoderLayer(dModel, nhead, layerOptions), numEncoderLayers, { norm: norm() }));
    this.decoder = this.registerModule('decoder', new TransformerDecoder(new TransformerDecoderLayer(dModel, nhead, layerOptions), numDecoderLayers, { norm: norm() }));
  }

  /**
   * Encodes `src` and decodes `tgt` against it.
   *
   * @param src - `[B, S, E]` (`[S, B, E]` when not `batchFirst`).
   * @param tgt - `[B, L, E]`.
   * @returns `[B, L, E]`.
   */
  forward(src: Tensor, tgt: Tensor, options: TransformerCallOptions = {}): Tensor {
    const batchAxis = this.batchFirst ? 0 : 1;
    if (src.rank === 3 && tgt.rank === 3 && src.shape[batchAxis] !== tgt.shape[batchAxis]) {
      throw new ValueError('Transformer', 'tgt', `the batch size of src and tgt must be equal: src is [${src.shape.join(', ')}], tgt is [${tgt.shape.join(', ')}]`);
    }
    const memory = this.encoder.forward(src, { mask: options.srcMask ?? null, srcKeyPaddingMask: options.srcKeyPaddingMask ?? null, isCausal: options.srcIsCausal ?? false });
    return this.decoder.forward(tgt, memory, {
      tgtMask: options.tgtMask ?? null,
      memoryMask: options.memoryMask ?? null,
      tgtKeyPaddingMask: options.tgtKeyPaddingMask ?? null,
      memoryKeyPaddingMask: options.memoryKeyPaddingMask ?? null,
      tgtIsCausal: options.tgtIsCausal ?? false,
      memoryIsCausal: options.memoryIsCausal ?? false,
    });
  }

  /**
   * PyTorch's `Transformer.generate_square_subsequent_mask`: a float `[size, size]` mask with
   * `-Infinity` above the diagonal and 0 elsewhere (position `i` sees `j <= i`).
   *
   * @example
   * ```ts
   * Transformer.generateSquareSubsequentMask(3).toArray(); // [[0, -Infinity, -Infinity], [0, 0, -Infinity], [0, 0, 0]]
   * ```
   */
  static generateSquareSubsequentMask(size: number, options: { backend?: Backend } = {}): Tensor {
    if (!Number.isInteger(size) || size < 0) throw new ValueError('Transformer.generateSquareSubsequentMask', 'size', `must be a non-negative integer, got ${size}`);
    const data = new Float32Array(size * size);
    for (let row = 0; row < size; row++) data.fill(-Infinity, row * size + row + 1, (row + 1) * size);
    return Tensor.fromData(data, [size, size], 'float32', options.backend ?? getBackend());
  }
}
