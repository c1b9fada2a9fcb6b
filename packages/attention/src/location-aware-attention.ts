import {
  DTypeError,
  Module,
  ShapeError,
  ValueError,
  add,
  div,
  formatShape,
  gt,
  linear,
  matmul,
  mul,
  pad,
  sigmoid,
  softmax,
  stack,
  sum,
  tanh,
  uniform,
  where,
  zeros,
  type Generator,
  type Tensor,
} from '@heed/tensor';
import type { AttentionMask } from './masks.js';
import { maskScores } from './weighting/mask-scores.js';

/**
 * The location features `f = F * α` of Chorowski et al. (2015): a 1-D convolution of alignments
 * with `K` filters of width `r`, 'same' padding (PyTorch's `padding='same'`: `⌊(r−1)/2⌋` zeros
 * before, the rest after), no bias. It is a cross-correlation, as `nn.Conv1d` computes, composed
 * from pad + `r` shifted slices + one matmul, so it has autograd gradients.
 *
 * Legend: `B` batch, `C` alignment channels (1, or 2 with cumulative alignments), `S` key length,
 * `K` filters, `r` filter width.
 *
 * @param alignment - `[B, C, S]` (or `[B, S]` for `C = 1`).
 * @param filters - `[K, C, r]`, the layout of `nn.Conv1d(C, K, r, bias=False).weight`.
 * @returns `[B, S, K]`: `out[b, j, k] = Σ_c Σ_t filters[k, c, t] · padded[b, c, j + t]`.
 * @example
 * ```ts
 * locationFeatures(tensor([[0, 1, 0, 0]]), tensor([[[1, 2, 3]]])).reshape([4]).toArray(); // [3, 2, 1, 0]
 * ```
 */
export function locationFeatures(alignment: Tensor, filters: Tensor): Tensor {
  const op = 'locationFeatures';
  const input = alignment.rank === 2 ? alignment.unsqueeze(1) : alignment;
  if (input.rank !== 3) throw new ShapeError(op, 'alignment', '[B, C, S] or [B, S]', alignment.shape);
  const [, channels, keys] = input.shape as [number, number, number];
  if (filters.rank !== 3 || filters.shape[1] !== channels || filters.shape[2] < 1) {
    throw new ShapeError(op, 'filters', `[K, C = ${channels}, r]`, filters.shape, `alignment is ${formatShape(alignment.shape)}`);
  }
  const [count, , width] = filters.shape as [number, number, number];
  const before = Math.floor((width - 1) / 2);
  const padded = pad(input, [before, width - 1 - before]); // [B, C, S + r − 1]
  const windows = stack(Array.from({ length: width }, (_, shift) => padded.slice(2, shift, shift + keys)), -1); // [B, C, S, r]
  const patches = windows.permute([0, 2, 1, 3]).reshape([input.shape[0], keys, channels * width]); // [B, S, C·r]
  return linear(patches, filters.reshape([count, channels * width])); // [B, S, K]
}

/** The parameters of {@link locationAwareAttention}. */
export interface LocationAwareParameters {
  /** `W`, `[A, Dq]`: projects the decoder state. */
  queryWeight: Tensor;
  /** `V`, `[A, Dk]`: projects the encoder outputs. */
  keyWeight: Tensor;
  /** `F`, `[K, C, r]`: the location filters (`C` = 1, or 2 with cumulative alignments). */
  locationFilters: Tensor;
  /** `U`, `[A, K]`: projects the location features. */
  locationWeight: Tensor;
  /** `w`, `[A]`. */
  v: Tensor;
  /** `b`, `[A]`, inside the tanh (optional). */
  bias?: Tensor | null;
}

/** How energies become weights: the softmax (with sharpening β), or the paper's sigmoid "smoothing". */
export type LocationNormalization = 'softmax' | 'sigmoid';

/** Options of {@link locationAwareAttention}. */
export interface LocationAwareOptions {
  /** Bool `[B, S]` (true = may attend) or additive mask, broadcastable to `[B, S]`. */
  mask?: AttentionMask | null;
  /** Values `[B, S, Dv]` to average (default: `key`, the encoder outputs). */
  value?: Tensor;
  /** Cumulative alignment `Σ_{t<i} α_t`, `[B, S]`: the filters' second channel (needs `C = 2`). */
  cumulativeWeights?: Tensor;
  /** `V h` already computed by {@link LocationAwareAttention.projectKeys}, `[B, S, A]` (saves a matmul per step). */
  projectedKey?: Tensor;
  /** Sharpening: energies are multiplied by `β` before normalising (default 1). */
  sharpening?: number;
  /** `'softmax'` (default): `α ∝ exp(βe)`; `'sigmoid'` (smoothing): `α ∝ σ(βe)`. */
  normalization?: LocationNormalization;
}

/** What location-aware attention returns. */
export interface LocationAwareResult {
  /** `Σ_j α_j h_j`, `[B, Dv]`. */
  context: Tensor;
  /** `α_i`, `[B, S]`: sums to 1 over the allowed keys (all zeros when none is allowed). */
  weights: Tensor;
  /** `cumulativeWeights + weights`, `[B, S]`, when cumulative alignments were given. */
  cumulativeWeights?: Tensor;
  /** The energies `e_i` before masking and normalising, `[B, S]`. */
  energies: Tensor;
}

function checkFloat(op: string, argument: string, tensor: Tensor, shape: readonly number[], pattern: string, detail?: string): void {
  if (tensor.dtype !== 'float32') throw new DTypeError(op, argument, 'float32', tensor.dtype);
  if (formatShape(tensor.shape) !== formatShape(shape)) throw new ShapeError(op, argument, `${pattern} = ${formatShape(shape)}`, tensor.shape, detail);
}

/**
 * Location-aware (hybrid) attention of Chorowski, Bahdanau, Serdyuk, Cho & Bengio (2015),
 * "Attention-Based Models for Speech Recognition": Bahdanau's additive energy plus features of
 * the previous alignment, so the model knows where it attended last and moves on monotonically:
 *
 * `f_i = F * α_{i−1}`, `e_{i,j} = wᵀ tanh(W s_{i−1} + V h_j + U f_{i,j} + b)`,
 * `α_{i,j} = exp(β e_{i,j}) / Σ_j exp(β e_{i,j})` (or `σ(β e)` normalised, the paper's smoothing).
 *
 * With `C = 2` filter channels the convolution also reads the cumulative alignment (as in
 * Tacotron 2). Masked keys get weight 0; a row with no allowed key gets zeros, never NaN.
 *
 * Legend: `B` batch, `S` key (encoder) length, `Dq` decoder state, `Dk`/`Dv` key/value depths,
 * `A` attention size, `K` filters, `r` filter width, `C` alignment channels.
 *
 * @param query - the decoder state `s_{i−1}`, `[B, Dq]` or `[B, 1, Dq]`.
 * @param key - the encoder outputs `h`, `[B, S, Dk]`.
 * @param previousWeights - `α_{i−1}`, `[B, S]`.
 * @returns `{ context [B, Dv], weights [B, S], energies [B, S], cumulativeWeights? [B, S] }`.
 * @example
 * ```ts
 * const parameters = { queryWeight: randn([8, 6]), keyWeight: randn([8, 4]), locationFilters: randn([3, 1, 5]), locationWeight: randn([8, 3]), v: randn([8]) };
 * const { context, weights } = locationAwareAttention(randn([2, 6]), randn([2, 7, 4]), full([2, 7], 1 / 7), parameters); // [2, 4], [2, 7]
 * ```
 */
export function locationAwareAttention(
  query: Tensor,
  key: Tensor,
  previousWeights: Tensor,
  parameters: LocationAwareParameters,
  options: LocationAwareOptions = {},
): LocationAwareResult {
  const op = 'locationAwareAttention';
  const state = query.rank === 3 && query.shape[1] === 1 ? query.squeeze(1) : query;
  if (state.rank !== 2) throw new ShapeError(op, 'query', '[B, Dq] or [B, 1, Dq]', query.shape);
  if (key.rank !== 3 || key.shape[0] !== state.shape[0]) throw new ShapeError(op, 'key', `[B = ${state.shape[0]}, S, Dk]`, key.shape);
  const [batch, keys, keyDepth] = key.shape as [number, number, number];
  const { queryWeight, keyWeight, locationFilters, locationWeight, v, bias } = parameters;
  if (v.rank !== 1) throw new ShapeError(op, 'v', '[A]', v.shape);
  const hidden = v.shape[0];
  checkFloat(op, 'queryWeight', queryWeight, [hidden, state.shape[1]], '[A, Dq]');
  checkFloat(op, 'keyWeight', keyWeight, [hidden, keyDepth], '[A, Dk]');
  if (locationFilters.rank !== 3) throw new ShapeError(op, 'locationFilters', '[K, C, r]', locationFilters.shape);
  const [filterCount, channels] = locationFilters.shape as [number, number];
  checkFloat(op, 'locationWeight', locationWeight, [hidden, filterCount], '[A, K]');
  if (bias) checkFloat(op, 'bias', bias, [hidden], '[A]');
  checkFloat(op, 'previousWeights', previousWeights, [batch, keys], '[B, S]');
  const cumulative = options.cumulativeWeights;
  if (channels === 2 && !cumulative) throw new ValueError(op, 'cumulativeWeights', 'the filters have 2 channels, so the cumulative alignment [B, S] is required');
  if (channels !== 1 && channels !== 2) throw new ShapeError(op, 'locationFilters', '[K, C, r] with C = 1 or 2', locationFilters.shape);
  if (cumulative) {
    if (channels !== 2) throw new ValueError(op, 'cumulativeWeights', 'given, but the filters have 1 channel (create them with C = 2)');
    checkFloat(op, 'cumulativeWeights', cumulative, [batch, keys], '[B, S]');
  }
  const value = options.value ?? key;
  if (value.rank !== 3 || value.shape[0] !== batch || value.shape[1] !== keys) throw new ShapeError(op, 'value', `[B = ${batch}, S = ${keys}, Dv]`, value.shape);
  const projectedKey = options.projectedKey ?? linear(key, keyWeight);
  checkFloat(op, 'projectedKey', projectedKey, [batch, keys, hidden], '[B, S, A]');
  const beta = options.sharpening ?? 1;
  if (!Number.isFinite(beta) || beta <= 0) throw new ValueError(op, 'sharpening', `must be a positive number, got ${beta}`);
  const normalization = options.normalization ?? 'softmax';
  if (normalization !== 'softmax' && normalization !== 'sigmoid') throw new ValueError(op, 'normalization', `must be 'softmax' or 'sigmoid', got ${String(normalization)}`);

  const alignment = cumulative ? stack([previousWeights, cumulative], 1) : previousWeights.unsqueeze(1); // [B, C, S]
  const location = linear(locationFeatures(alignment, locationFilters), locationWeight); // [B, S, A]
  const inner = add(add(projectedKey, linear(state, queryWeight, bias ?? null).unsqueeze(1)), location);
  const energies = matmul(tanh(inner), v); // [B, S]
  const { scores, keep } = maskScores(op, beta === 1 ? energies : mul(energies, beta), options.mask);
  let weights: Tensor;
  if (normalization === 'softmax') weights = softmax(scores, -1);
  else {
    const gates = keep ? where(keep, sigmoid(scores), 0) : sigmoid(scores);
    const total = sum(gates, -1, true);
    const positive = gt(total, 0);
    weights = where(positive, div(gates, where(positive, total, 1)), 0);
  }
  const context = matmul(weights.unsqueeze(1), value).squeeze(1);
  return { context, weights, energies, ...(cumulative ? { cumulativeWeights: add(cumulative, weights) } : {}) };
}

/** Options of the {@link LocationAwareAttention} module. */
export interface LocationAwareAttentionOptions {
  /** Attention size `A` (default `Dk`). */
  attentionDim?: number;
  /** Number of location filters `K` (default 10, as in the paper). */
  filters?: number;
  /** Filter width `r` (default 31; the paper used 201 for 1500-frame utterances). */
  kernelSize?: number;
  /** Also convolve the cumulative alignment (filters get `C = 2` channels; default false). */
  cumulative?: boolean;
  /** Sharpening `β` (default 1). */
  sharpening?: number;
  /** `'softmax'` (default) or `'sigmoid'` (the paper's smoothing). */
  normalization?: LocationNormalization;
  /** Learn the bias `b` inside the tanh (default true). */
  bias?: boolean;
  /** Generator for the initial weights. */
  generator?: Generator;
}

/** Per-call options of {@link LocationAwareAttention.forward}. */
export type LocationAwareCallOptions = Pick<LocationAwareOptions, 'mask' | 'value' | 'cumulativeWeights' | 'projectedKey'>;

/**
 * {@link locationAwareAttention} as a module (ESPnet's `AttLoc`, Tacotron 2's location-sensitive
 * attention). Parameters: `queryWeight` `[A, Dq]` (W), `keyWeight` `[A, Dk]` (V),
 * `locationFilters` `[K, C, r]` (F, `nn.Conv1d(C, K, r, padding='same', bias=False).weight`),
 * `locationWeight` `[A, K]` (U), `v` `[A]` (w), `bias` `[A]` (b); each initialised like the
 * PyTorch layer it stands for, U(±1/√fanIn).
 *
 * Call it once per decoder step, feeding back the weights it returned; start from
 * {@link LocationAwareAttention.initialWeights} (uniform over the allowed keys).
 *
 * @example
 * ```ts
 * const attention = new LocationAwareAttention(6, 4, { attentionDim: 8, filters: 3, kernelSize: 5 });
 * let weights = attention.initialWeights(encoderOutputs);                    // [B, S]
 * for (const state of decoderStates) ({ weights } = attention.forward(state, encoderOutputs, weights)); // state [B, 6]
 * ```
 */
export class LocationAwareAttention extends Module {
  readonly queryWeight: Tensor;
  readonly keyWeight: Tensor;
  readonly locationFilters: Tensor;
  readonly locationWeight: Tensor;
  readonly v: Tensor;
  readonly bias: Tensor | null;
  readonly attentionDim: number;
  readonly filters: number;
  readonly kernelSize: number;
  readonly cumulative: boolean;

  constructor(
    readonly queryDim: number,
    readonly keyDim: number = queryDim,
    readonly options: LocationAwareAttentionOptions = {},
  ) {
    super();
    this.attentionDim = options.attentionDim ?? keyDim;
    this.filters = options.filters ?? 10;
    this.kernelSize = options.kernelSize ?? 31;
    this.cumulative = options.cumulative ?? false;
    const sizes = [['queryDim', queryDim], ['keyDim', keyDim], ['attentionDim', this.attentionDim], ['filters', this.filters], ['kernelSize', this.kernelSize]] as const;
    for (const [name, size] of sizes) {
      if (!Number.isInteger(size) || size < 1) throw new ValueError('LocationAwareAttention', name, `must be a positive integer, got ${size}`);
    }
    const random = options.generator ? { generator: options.generator } : {};
    const bounded = (shape: number[], fanIn: number): Tensor => uniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), random);
    const hidden = this.attentionDim;
    const channels = this.cumulative ? 2 : 1;
    this.queryWeight = this.registerParameter('queryWeight', bounded([hidden, queryDim], queryDim));
    this.keyWeight = this.registerParameter('keyWeight', bounded([hidden, keyDim], keyDim));
    this.locationFilters = this.registerParameter('locationFilters', bounded([this.filters, channels, this.kernelSize], channels * this.kernelSize));
    this.locationWeight = this.registerParameter('locationWeight', bounded([hidden, this.filters], this.filters));
    this.v = this.registerParameter('v', bounded([hidden], hidden));
    this.bias = this.registerParameter('bias', options.bias === false ? null : bounded([hidden], queryDim));
  }

  /** `V h`, `[B, S, A]`: compute once per sequence and pass as `projectedKey` to every step. */
  projectKeys(key: Tensor): Tensor {
    if (key.rank !== 3 || key.shape[2] !== this.keyDim) throw new ShapeError('LocationAwareAttention', 'key', `[B, S, Dk = ${this.keyDim}]`, key.shape);
    return linear(key, this.keyWeight);
  }

  /**
   * The first step's `α_0`: uniform over the allowed keys, `[B, S]` (zeros for a row with none),
   * as ESPnet's `AttLoc` starts. (Tacotron 2 starts from zeros; pass `zeros([B, S])` for that.)
   * With `cumulative`, start the cumulative alignment at zeros.
   *
   * @param key - `[B, S, Dk]`; only its shape is read.
   * @param mask - bool `[B, S]`, true = may attend.
   */
  initialWeights(key: Tensor, mask?: Tensor | null): Tensor {
    if (key.rank !== 3) throw new ShapeError('LocationAwareAttention.initialWeights', 'key', '[B, S, Dk]', key.shape);
    const zero = zeros([key.shape[0], key.shape[1]], { backend: key.backend });
    return softmax(maskScores('LocationAwareAttention.initialWeights', zero, mask).scores, -1);
  }

  /**
   * One decoder step.
   *
   * @param query - decoder state `[B, Dq]` or `[B, 1, Dq]`.
   * @param key - encoder outputs `[B, S, Dk]`.
   * @param previousWeights - the previous step's weights `[B, S]`.
   * @returns `{ context [B, Dv], weights [B, S], energies [B, S], cumulativeWeights? [B, S] }`.
   */
  forward(query: Tensor, key: Tensor, previousWeights: Tensor, options: LocationAwareCallOptions = {}): LocationAwareResult {
    const parameters = {
      queryWeight: this.queryWeight,
      keyWeight: this.keyWeight,
      locationFilters: this.locationFilters,
      locationWeight: this.locationWeight,
      v: this.v,
      bias: this.bias,
    };
    return locationAwareAttention(query, key, previousWeights, parameters, {
      ...options,
      ...(this.options.sharpening === undefined ? {} : { sharpening: this.options.sharpening }),
      ...(this.options.normalization === undefined ? {} : { normalization: this.options.normalization }),
    });
  }
}
