import { ShapeError, ValueError, flashAttention, linear, logicalNot, matmul, mean, mul, split, transpose, type Generator, type Tensor } from '@heed/tensor';
import { attendAs } from './attend.js';
import { resolveAttentionCore, runAttentionCore, type AttentionCore } from './attention-core.js';
import type { KeyValueCache } from './key-value-cache.js';
import { checkMask, combineMasks, type AttentionMask } from './masks.js';
import { alibiBias } from './positions/alibi.js';
import type { RotaryEmbedding } from './positions/rotary.js';
import { canUseFlashAttention, repeatKeyValueHeads } from './scaled-dot-product-attention.js';
import type { Weighting } from './weighting/weighting.js';

/**
 * The parameters of multi-head attention, in PyTorch's layout. Either the packed
 * `inProjWeight` `[3E, E]` (queries, keys and values of width `E`, as many key/value heads as
 * query heads) or the three separate `qProjWeight` `[E, E]`, `kProjWeight` `[Hkv·Dh, Ek]`,
 * `vProjWeight` `[Hkv·Dh, Ev]`.
 */
export interface MultiHeadAttentionParameters {
  /** PyTorch's `in_proj_weight`, `[3E, E]`. */
  inProjWeight?: Tensor | null;
  /** PyTorch's `q_proj_weight`, `[E, E]`. */
  qProjWeight?: Tensor | null;
  /** PyTorch's `k_proj_weight`, `[Hkv·Dh, Ek]`. */
  kProjWeight?: Tensor | null;
  /** PyTorch's `v_proj_weight`, `[Hkv·Dh, Ev]`. */
  vProjWeight?: Tensor | null;
  /** PyTorch's `in_proj_bias`, `[E + 2·Hkv·Dh]` (`[3E]` without grouping). */
  inProjBias?: Tensor | null;
  /** PyTorch's `out_proj.weight`, `[E, E]`. */
  outProjWeight: Tensor;
  /** PyTorch's `out_proj.bias`, `[E]`. */
  outProjBias?: Tensor | null;
}

/** Options of {@link multiHeadAttentionForward} and `MultiHeadAttention.forward`. */
export interface MultiHeadAttentionForwardOptions {
  /** Key/value heads `Hkv` (default `H`); `1` is multi-query attention, `1 < Hkv < H` grouped-query. */
  numKeyValueHeads?: number;
  /**
   * PyTorch's `key_padding_mask`: bool `[B, S]` with **true = padding** (that key is ignored), or
   * an additive float `[B, S]`. With a cache, `S` counts the cached keys too. heed's own
   * keep-masks (true = real token, e.g. from `paddingMask`) go in `mask` instead.
   */
  keyPaddingMask?: AttentionMask | null;
  /**
   * PyTorch's `attn_mask`: bool with **true = may not attend**, or an additive float mask;
   * `[L, S]`, PyTorch's `[B·H, L, S]`, or anything broadcastable to `[B, H, L, S]` (e.g. an
   * ALiBi bias `[H, L, S]`).
   */
  attnMask?: AttentionMask | null;
  /**
   * heed's keep-mask: bool with **true = may attend** (as `causalMask`, `paddingMask` and every
   * heed attention function), broadcastable to `[B, H, L, S]`; and-ed with the other masks.
   */
  mask?: AttentionMask | null;
  /** Bottom-right aligned causal mask (PyTorch's `is_causal`, but enforced by itself, no mask needed). */
  causal?: boolean;
  /**
   * Return the attention weights (PyTorch's `need_weights`; default true with the dense core,
   * false with the others, which never form the weights: asking them for weights is an error).
   */
  needWeights?: boolean;
  /** Average the weights over heads to `[B, L, S]` (default true); false gives `[B, H, L, S]`. */
  averageAttnWeights?: boolean;
  /** Dropout on the weights while training (default 0). */
  dropout?: number;
  /** Training mode (default true). */
  training?: boolean;
  /** Generator for dropout and stochastic weightings. */
  generator?: Generator;
  /** How scores become weights (default `'soft'`). */
  weighting?: Weighting;
  /** Key/value cache for step-by-step decoding; see {@link KeyValueCache}. */
  cache?: KeyValueCache | null;
  /** Rotary position embedding applied to each head's queries and keys (positions continue from the cache). */
  rotary?: RotaryEmbedding | null;
  /**
   * Add the ALiBi bias `−m_h · |i − j|` (bottom-right aligned, so it continues with a cache; with
   * a causal mask it equals the paper's `m_h · (j − i)` on every allowed key).
   */
  alibi?: boolean;
  /** How attention is computed per head (default `'dense'`); see {@link AttentionCore}. */
  attentionCore?: AttentionCore;
}

/** The output of multi-head attention. */
export interface MultiHeadAttentionOutput {
  /** `[B, L, E]`. */
  output: Tensor;
  /** `[B, L, S]` (averaged) or `[B, H, L, S]` (per head), or null when not requested. */
  weights: Tensor | null;
}

const OP = 'MultiHeadAttention';

function expectShape(argument: string, tensor: Tensor | null | undefined, shape: readonly number[], pattern: string): void {
  if (!tensor) return;
  if (tensor.rank !== shape.length || tensor.shape.some((size, axis) => size !== shape[axis])) {
    throw new ShapeError(OP, argument, `${pattern} = [${shape.join(', ')}]`, tensor.shape);
  }
}

/** Splits `[B, T, heads·D]` into `[B, heads, T, D]`. */
function splitHeads(x: Tensor, heads: number): Tensor {
  const [batch, length, width] = x.shape;
  return transpose(x.reshape([batch, length, heads, width / heads]), 1, 2);
}

/** Projects query, key and value (one matmul when all three are the same tensor and the weights are packed). */
function project(query: Tensor, key: Tensor, value: Tensor, parameters: MultiHeadAttentionParameters, widths: [number, number, number], needKeys: boolean): [Tensor, Tensor | null, Tensor | null] {
  const [biasQuery, biasKey, biasValue] = parameters.inProjBias ? split(parameters.inProjBias, widths, 0) : [null, null, null];
  if (parameters.inProjWeight) {
    if (needKeys && query === key && key === value) {
      const [q, k, v] = split(linear(query, parameters.inProjWeight, parameters.inProjBias ?? null), widths, -1);
      return [q, k, v];
    }
    const [weightQuery, weightKey, weightValue] = split(parameters.inProjWeight, widths, 0);
    return [linear(query, weightQuery, biasQuery), needKeys ? linear(key, weightKey, biasKey) : null, needKeys ? linear(value, weightValue, biasValue) : null];
  }
  return [
    linear(query, parameters.qProjWeight!, biasQuery),
    needKeys ? linear(key, parameters.kProjWeight!, biasKey) : null,
    needKeys ? linear(value, parameters.vProjWeight!, biasValue) : null,
  ];
}

/**
 * Multi-head attention as a function of its parameters (PyTorch's `F.multi_head_attention_forward`,
 * batch first): project, split into heads, scaled dot-product attention per head (with masks,
 * causal, ALiBi, rotary, grouped key/value heads and a cache), merge heads, project out.
 *
 * Legend: `B` batch, `L` query length, `S` key length, `E` model width, `H` heads,
 * `Hkv` key/value heads, `Dh = E / H` head dim, `Ek`/`Ev` key/value widths.
 *
 * @param query - `[B, L, E]`.
 * @param key - `[B, S, Ek]`.
 * @param value - `[B, S, Ev]`.
 * @param numHeads - `H`, dividing `E`.
 * @returns `{ output [B, L, E], weights [B, L, S] | [B, H, L, S] | null }`.
 * @example
 * ```ts
 * const { output } = multiHeadAttentionForward(x, x, x, 8, { inProjWeight, inProjBias, outProjWeight, outProjBias }, { causal: true });
 * ```
 */
export function multiHeadAttentionForward(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  numHeads: number,
  parameters: MultiHeadAttentionParameters,
  options: MultiHeadAttentionForwardOptions = {},
): MultiHeadAttentionOutput {
  if (query.rank !== 3) throw new ShapeError(OP, 'query', '[B, L, E]', query.shape);
  const [batch, queries, width] = query.shape;
  if (!Number.isInteger(numHeads) || numHeads < 1 || width % numHeads !== 0) {
    throw new ValueError(OP, 'numHeads', `must be a positive integer dividing embedDim ${width}, got ${numHeads}`);
  }
  const keyValueHeads = options.numKeyValueHeads ?? numHeads;
  if (!Number.isInteger(keyValueHeads) || keyValueHeads < 1 || numHeads % keyValueHeads !== 0) {
    throw new ValueError(OP, 'numKeyValueHeads', `must be a positive integer dividing numHeads ${numHeads}, got ${keyValueHeads}`);
  }
  const headDim = width / numHeads;
  const keyWidth = keyValueHeads * headDim;
  if (key.rank !== 3 || key.shape[0] !== batch) throw new ShapeError(OP, 'key', `[B = ${batch}, S, Ek]`, key.shape);
  if (value.rank !== 3 || value.shape[0] !== batch || value.shape[1] !== key.shape[1]) {
    throw new ShapeError(OP, 'value', `[B = ${batch}, S = ${key.shape[1]}, Ev]`, value.shape, 'key and value lengths differ');
  }
  const [keyDim, valueDim] = [key.shape[2], value.shape[2]];
  if (parameters.inProjWeight) {
    if (keyValueHeads !== numHeads || keyDim !== width || valueDim !== width) {
      throw new ValueError(OP, 'parameters', 'the packed inProjWeight needs key and value widths equal to E and numKeyValueHeads = numHeads; use separate q/k/v weights');
    }
    expectShape('inProjWeight', parameters.inProjWeight, [3 * width, width], '[3E, E]');
  } else {
    if (!parameters.qProjWeight || !parameters.kProjWeight || !parameters.vProjWeight) {
      throw new ValueError(OP, 'parameters', 'give inProjWeight, or all of qProjWeight, kProjWeight and vProjWeight');
    }
    expectShape('qProjWeight', parameters.qProjWeight, [width, width], '[E, E]');
    expectShape('kProjWeight', parameters.kProjWeight, [keyWidth, keyDim], '[Hkv·Dh, Ek]');
    expectShape('vProjWeight', parameters.vProjWeight, [keyWidth, valueDim], '[Hkv·Dh, Ev]');
  }
  expectShape('inProjBias', parameters.inProjBias, [width + 2 * keyWidth], '[E + 2·Hkv·Dh]');
  expectShape('outProjWeight', parameters.outProjWeight, [width, width], '[E, E]');
  expectShape('outProjBias', parameters.outProjBias, [width], '[E]');

  const cache = options.cache ?? null;
  const offset = cache?.length ?? 0;
  const needKeys = !cache?.frozen;
  const [projectedQuery, projectedKey, projectedValue] = project(query, key, value, parameters, [width, keyWidth, keyWidth], needKeys);
  let q = splitHeads(projectedQuery, numHeads);
  let k = projectedKey ? splitHeads(projectedKey, keyValueHeads) : null;
  let v = projectedValue ? splitHeads(projectedValue, keyValueHeads) : null;
  if (options.rotary) {
    q = options.rotary.forward(q, cache?.frozen ? 0 : offset);
    if (k) k = options.rotary.forward(k, offset);
  }
  if (cache) [k, v] = cache.update(k!, v!);
  const keys = k!.shape[2];
  const target = [batch, numHeads, queries, keys];

  let padding: Tensor | null = null;
  if (options.keyPaddingMask) {
    expectShape('keyPaddingMask', options.keyPaddingMask, [batch, keys], '[B, S]');
    const keep = options.keyPaddingMask.dtype === 'bool' ? logicalNot(options.keyPaddingMask) : options.keyPaddingMask;
    padding = checkMask(OP, keep.reshape([batch, 1, 1, keys]), target, 'keyPaddingMask', '[B, S]');
  }
  let attnMask = options.attnMask ?? null;
  if (attnMask && attnMask.rank === 3 && attnMask.shape[0] === batch * numHeads && batch * numHeads > 1) {
    attnMask = attnMask.reshape([batch, numHeads, attnMask.shape[1], attnMask.shape[2]]);
  }
  if (attnMask) {
    attnMask = checkMask(OP, attnMask, target, 'attnMask', '[L, S], [B·H, L, S] or [B, H, L, S]');
    if (attnMask.dtype === 'bool') attnMask = logicalNot(attnMask);
  }
  const keepMask = options.mask ? checkMask(OP, options.mask, target, 'mask', '[B, H, L, S] (broadcastable)') : null;
  const alibi = options.alibi ? alibiBias(numHeads, queries, keys, { backend: query.backend, symmetric: true }) : null;
  const mask = combineMasks(padding, attnMask, keepMask, alibi);
  const causal = options.causal ?? false;
  const training = options.training ?? true;
  const groups = numHeads / keyValueHeads;
  const core = resolveAttentionCore(OP, options.attentionCore);

  let heads: Tensor;
  let weights: Tensor | null = null;
  const soft = options.weighting === undefined || options.weighting === 'soft';
  const [keys4, values4] = [repeatKeyValueHeads(k!, groups), repeatKeyValueHeads(v!, groups)];
  if (core.kind === 'dense' && soft && canUseFlashAttention(q, keys4, values4, { returnWeights: options.needWeights !== false, dropout: options.dropout ?? 0, training, mask })) {
    // The weights are not wanted: the fused kernel gives the same exact attention without them.
    heads = flashAttention(q, keys4, values4, { mask, causal }).output;
  } else if (core.kind === 'dense') {
    const scores = mul(matmul(q, transpose(keys4, -2, -1)), 1 / Math.sqrt(headDim));
    ({ output: heads, weights } = attendAs(OP, scores, values4, {
      mask,
      causal,
      weighting: options.weighting ?? 'soft',
      dropout: options.dropout ?? 0,
      training,
      ...(options.generator ? { generator: options.generator } : {}),
    }));
  } else {
    const unsupported = (argument: string, why: string): ValueError => new ValueError(OP, argument, `${why} needs attentionCore 'dense' (this one is '${core.kind}')`);
    if (options.needWeights === true) throw unsupported('needWeights', 'returning the attention weights');
    if ((options.dropout ?? 0) > 0 && training) throw unsupported('dropout', 'dropout on the attention weights');
    if (options.weighting !== undefined && options.weighting !== 'soft') throw unsupported('weighting', typeof options.weighting === 'string' ? `the weighting '${options.weighting}'` : 'a custom weighting');
    if (alibi) throw unsupported('alibi', 'the additive ALiBi bias');
    heads = runAttentionCore(OP, core, q, keys4, values4, {
      mask,
      causal,
      hasQueryMask: attnMask !== null || keepMask !== null,
    });
  }
  const merged = transpose(heads, 1, 2).reshape([batch, queries, width]);
  const output = linear(merged, parameters.outProjWeight, parameters.outProjBias ?? null);
  if (options.needWeights === false || !weights) return { output, weights: null };
  return { output, weights: options.averageAttnWeights === false ? weights : mean(weights, 1) };
}
