/**
 * TEMPORARY stand-in for `@heed/attention`'s `TransformerEncoderLayer` with `attentionCore`,
 * used only until those layers land on `main`; same constructor options and forward signature
 * (the subset the bench uses), same parameter names. Deleted at the merge.
 */
import { LayerNorm, Linear, Module, chunk, gelu, init, zeros, type Generator, type Tensor } from '@heed/tensor';
import { linearAttention, memoryEfficientAttention, scaledDotProductAttention, slidingWindowPattern, sparseAttention } from '@heed/attention';

export type AttentionCore = 'dense' | 'memory-efficient' | { kind: 'local'; window: number } | { kind: 'linear' };

export interface TransformerEncoderLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: 'relu' | 'gelu';
  normFirst?: boolean;
  batchFirst?: boolean;
  attentionCore?: AttentionCore;
  generator?: Generator;
}

class SelfAttention extends Module {
  readonly inProjWeight: Tensor;
  readonly inProjBias: Tensor;
  readonly outProj: Linear;
  constructor(
    readonly width: number,
    readonly heads: number,
    readonly core: AttentionCore,
    generator?: Generator,
  ) {
    super();
    const random = generator ? { generator } : {};
    this.inProjWeight = this.registerParameter('in_proj_weight', init.xavierUniform_(zeros([3 * width, width]), 1, random))!;
    this.inProjBias = this.registerParameter('in_proj_bias', zeros([3 * width]))!;
    this.outProj = this.registerModule('out_proj', new Linear(width, width, random));
  }
  forward(x: Tensor, causal: boolean): Tensor {
    const [batch, length] = x.shape;
    const headDim = this.width / this.heads;
    const projected = x.matmul(this.inProjWeight.transpose(0, 1)).add(this.inProjBias);
    const [q, k, v] = chunk(projected, 3, -1).map((part) => part.reshape([batch, length, this.heads, headDim]).transpose(1, 2));
    const core = this.core;
    let out: Tensor;
    if (core === 'dense') out = scaledDotProductAttention(q, k, v, { causal });
    else if (core === 'memory-efficient') out = memoryEfficientAttention(q, k, v, { causal });
    else if (core.kind === 'local') out = sparseAttention(q, k, v, { pattern: slidingWindowPattern({ window: core.window, causal }) });
    else out = linearAttention(q, k, v, { causal });
    return this.outProj.forward(out.transpose(1, 2).reshape([batch, length, this.width]));
  }
}

export class TransformerEncoderLayer extends Module {
  readonly selfAttn: SelfAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  constructor(dModel: number, nhead: number, options: TransformerEncoderLayerOptions = {}) {
    super();
    const random = options.generator ? { generator: options.generator } : {};
    this.selfAttn = this.registerModule('self_attn', new SelfAttention(dModel, nhead, options.attentionCore ?? 'dense', options.generator));
    this.linear1 = this.registerModule('linear1', new Linear(dModel, options.dimFeedforward ?? 2048, random));
    this.linear2 = this.registerModule('linear2', new Linear(options.dimFeedforward ?? 2048, dModel, random));
    this.norm1 = this.registerModule('norm1', new LayerNorm(dModel));
    this.norm2 = this.registerModule('norm2', new LayerNorm(dModel));
  }
  forward(src: Tensor, options: { isCausal?: boolean } = {}): Tensor {
    const x = src.add(this.selfAttn.forward(this.norm1.forward(src), options.isCausal ?? false));
    return x.add(this.linear2.forward(gelu(this.linear1.forward(this.norm2.forward(x)))));
  }
}

export class TransformerEncoder extends Module {
  readonly layers: TransformerEncoderLayer[];
  readonly norm: LayerNorm | null;
  constructor(make: () => TransformerEncoderLayer, numLayers: number, options: { norm?: LayerNorm } = {}) {
    super();
    this.layers = Array.from({ length: numLayers }, (_, index) => this.registerModule(`layers.${index}`, make()));
    this.norm = options.norm ? this.registerModule('norm', options.norm) : null;
  }
  forward(src: Tensor, options: { isCausal?: boolean } = {}): Tensor {
    let x = src;
    for (const layer of this.layers) x = layer.forward(x, options);
    return this.norm ? this.norm.forward(x) : x;
  }
}
