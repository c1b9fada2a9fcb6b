import { Linear, Module, ShapeError, ValueError, init, transpose, zeros, type Generator, type Tensor } from '@heed/tensor';
import type { AttentionCore } from './attention-core.js';
import { KeyValueCache, type KeyValueCacheOptions } from './key-value-cache.js';
import {
  multiHeadAttentionForward,
  type MultiHeadAttentionForwardOptions,
  type MultiHeadAttentionOutput,
} from './multi-head-attention-forward.js';
import type { RotaryEmbedding } from './positions/rotary.js';
import type { Weighting } from './weighting/weighting.js';

/** Options of {@link MultiHeadAttention}, named after `nn.MultiheadAttention`'s. */
export interface MultiHeadAttentionOptions {
  /** Dropout on the attention weights in training mode (default 0). */
  dropout?: number;
  /** Input and output projection biases (default true). */
  bias?: boolean;
  /** Key width `Ek` (default `E`). */
  kdim?: number;
  /** Value width `Ev` (default `E`). */
  vdim?: number;
  /**
   * Inputs and outputs are `[B, L, E]` (default **true**, heed's layout everywhere). Set false
   * for PyTorch's default `[L, B, E]`.
   */
  batchFirst?: boolean;
  /** Key/value heads `Hkv` dividing `H` (default `H`): 1 = multi-query, otherwise grouped-query attention. */
  numKeyValueHeads?: number;
  /** Rotary position embedding for each head's queries and keys (its `dim` must be `E / H`). */
  rotary?: RotaryEmbedding;
  /** Add the ALiBi bias per head. */
  alibi?: boolean;
  /** How scores become weights (default `'soft'`). */
  weighting?: Weighting;
  /** How attention is computed per head (default `'dense'`): see {@link AttentionCore}. */
  attentionCore?: AttentionCore;
  /** Generator for the initial weights, dropout and stochastic weightings. */
  generator?: Generator;
}

/** Per-call options of {@link MultiHeadAttention.forward}. */
export type MultiHeadAttentionCallOptions = Pick<
  MultiHeadAttentionForwardOptions,
  'keyPaddingMask' | 'attnMask' | 'mask' | 'causal' | 'needWeights' | 'averageAttnWeights' | 'cache'
>;

/**
 * Multi-head attention (Vaswani et al. 2017) with PyTorch's parameter names and layout, so a
 * `torch.nn.MultiheadAttention` state dict loads as is: `in_proj_weight` `[3E, E]`,
 * `in_proj_bias` `[3E]`, `out_proj.weight` `[E, E]`, `out_proj.bias` `[E]`; or, when key/value
 * widths differ from `E` (or with grouped key/value heads), `q_proj_weight`, `k_proj_weight`,
 * `v_proj_weight`. Initialised like PyTorch: Xavier-uniform input projections, zero biases.
 *
 * Beyond PyTorch: grouped-query and multi-query attention (`numKeyValueHeads`), a key/value
 * cache for step-by-step decoding, rotary and ALiBi positions, any weighting, and fully masked
 * rows that give zeros instead of NaN, and a choice of attention core (`attentionCore`: dense,
 * memory-efficient, local window, linear). Masks named as in PyTorch mean what they mean there:
 * `keyPaddingMask` true = padding, a bool `attnMask` true = may not attend; heed's own keep-mask
 * (true = may attend, as `causalMask` and `paddingMask` give) goes in `mask`.
 *
 * Legend: `B` batch, `L` query length, `S` key length, `E` width, `H` heads, `Dh = E / H`.
 *
 * @example
 * ```ts
 * const mha = new MultiHeadAttention(64, 8);
 * const { output, weights } = mha.forward(x, x, x, { causal: true }); // x [B, L, 64] → [B, L, 64], [B, L, L]
 * const padded = mha.forward(x, x, x, { keyPaddingMask: tensor([[false, false, true]]) }); // x [1, 3, 64], last key is padding
 * const cache = mha.createCache();
 * const step = mha.forward(token, token, token, { causal: true, cache }); // one token at a time
 * ```
 */
export class MultiHeadAttention extends Module {
  /** `[3E, E]`, or null when the projections are separate. */
  readonly inProjWeight: Tensor | null;
  readonly qProjWeight: Tensor | null;
  readonly kProjWeight: Tensor | null;
  readonly vProjWeight: Tensor | null;
  /** `[E + 2·Hkv·Dh]` (`[3E]` without grouping), or null without bias. */
  readonly inProjBias: Tensor | null;
  readonly outProj: Linear;
  /** `E / H`. */
  readonly headDim: number;
  /** `Hkv`. */
  readonly numKeyValueHeads: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly batchFirst: boolean;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    readonly options: MultiHeadAttentionOptions = {},
  ) {
    super();
    const op = 'MultiHeadAttention';
    if (!Number.isInteger(embedDim) || embedDim < 1) throw new ValueError(op, 'embedDim', `must be a positive integer, got ${embedDim}`);
    if (!Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0) {
      throw new ValueError(op, 'numHeads', `must be a positive integer dividing embedDim ${embedDim}, got ${numHeads}`);
    }
    this.headDim = embedDim / numHeads;
    this.numKeyValueHeads = options.numKeyValueHeads ?? numHeads;
    if (!Number.isInteger(this.numKeyValueHeads) || this.numKeyValueHeads < 1 || numHeads % this.numKeyValueHeads !== 0) {
      throw new ValueError(op, 'numKeyValueHeads', `must be a positive integer dividing numHeads ${numHeads}, got ${this.numKeyValueHeads}`);
    }
    const dropout = options.dropout ?? 0;
    if (!(dropout >= 0 && dropout <= 1)) throw new ValueError(op, 'dropout', `must be in [0, 1], got ${dropout}`);
    if (options.rotary && options.rotary.dim !== this.headDim) {
      throw new ValueError(op, 'rotary', `RotaryEmbedding dim ${options.rotary.dim} must equal the head dim E / H = ${this.headDim}`);
    }
    this.kdim = options.kdim ?? embedDim;
    this.vdim = options.vdim ?? embedDim;
    this.batchFirst = options.batchFirst ?? true;
    const random = options.generator ? { generator: options.generator } : {};
    const keyWidth = this.numKeyValueHeads * this.headDim;
    const packed = this.kdim === embedDim && this.vdim === embedDim && this.numKeyValueHeads === numHeads;
    const xavier = (shape: number[]): Tensor => init.xavierUniform_(zeros(shape), 1, random);
    this.inProjWeight = this.registerParameter('in_proj_weight', packed ? xavier([3 * embedDim, embedDim]) : null);
    this.qProjWeight = this.registerParameter('q_proj_weight', packed ? null : xavier([embedDim, embedDim]));
    this.kProjWeight = this.registerParameter('k_proj_weight', packed ? null : xavier([keyWidth, this.kdim]));
    this.vProjWeight = this.registerParameter('v_proj_weight', packed ? null : xavier([keyWidth, this.vdim]));
    const bias = options.bias ?? true;
    this.inProjBias = this.registerParameter('in_proj_bias', bias ? zeros([embedDim + 2 * keyWidth]) : null);
    this.outProj = this.registerModule('out_proj', new Linear(embedDim, embedDim, { bias, ...random }));
    if (this.outProj.bias) init.zeros_(this.outProj.bias);
    if (options.rotary) this.registerModule('rotary', options.rotary);
  }

  /** A fresh key/value cache for step-by-step decoding with this module (pass `{ static: true }` for cross-attention). */
  createCache(options: KeyValueCacheOptions = {}): KeyValueCache {
    return new KeyValueCache(options);
  }

  /** Moves between `[L, B, E]` and `[B, L, E]`, and adds a batch of 1 to unbatched `[L, E]` input. */
  #toBatchFirst(x: Tensor, argument: string, width: number): Tensor {
    if (x.rank === 2 && x.shape[1] === width) return x.unsqueeze(0);
    if (x.rank !== 3 || x.shape[2] !== width) {
      throw new ShapeError('MultiHeadAttention', argument, this.batchFirst ? `[B, L, ${width}] or [L, ${width}]` : `[L, B, ${width}] or [L, ${width}]`, x.shape);
    }
    return this.batchFirst ? x : transpose(x, 0, 1);
  }

  /**
   * @param query - `[B, L, E]` (`[L, B, E]` when not `batchFirst`; `[L, E]` unbatched).
   * @param key - `[B, S, Ek]` (default `query`: self-attention).
   * @param value - `[B, S, Ev]` (default `key`).
   * @param options - masks, `causal`, weights wanted, and a `cache`.
   * @returns `output` shaped like `query` with width `E`, and `weights` `[B, L, S]` averaged
   *   over heads or `[B, H, L, S]` per head (null when `needWeights` is false).
   */
  forward(query: Tensor, key: Tensor = query, value: Tensor = key, options: MultiHeadAttentionCallOptions = {}): MultiHeadAttentionOutput {
    const unbatched = query.rank === 2;
    if (unbatched && options.keyPaddingMask?.rank === 1) options = { ...options, keyPaddingMask: options.keyPaddingMask.unsqueeze(0) };
    const q = this.#toBatchFirst(query, 'query', this.embedDim);
    const k = key === query ? q : this.#toBatchFirst(key, 'key', this.kdim);
    const v = value === key ? k : value === query ? q : this.#toBatchFirst(value, 'value', this.vdim);
    const result = multiHeadAttentionForward(
      q,
      k,
      v,
      this.numHeads,
      {
        inProjWeight: this.inProjWeight,
        qProjWeight: this.qProjWeight,
        kProjWeight: this.kProjWeight,
        vProjWeight: this.vProjWeight,
        inProjBias: this.inProjBias,
        outProjWeight: this.outProj.weight,
        outProjBias: this.outProj.bias,
      },
      {
        ...options,
        numKeyValueHeads: this.numKeyValueHeads,
        dropout: this.options.dropout ?? 0,
        training: this.training,
        weighting: this.options.weighting ?? 'soft',
        rotary: this.options.rotary ?? null,
        alibi: this.options.alibi ?? false,
        ...(this.options.attentionCore ? { attentionCore: this.options.attentionCore } : {}),
        ...(this.options.generator ? { generator: this.options.generator } : {}),
      },
    );
    let output = result.output;
    if (unbatched) output = output.squeeze(0);
    else if (!this.batchFirst) output = transpose(output, 0, 1);
    return { output, weights: unbatched && result.weights ? result.weights.squeeze(0) : result.weights };
  }
}
