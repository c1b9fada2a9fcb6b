import {
  DTypeError,
  Module,
  ShapeError,
  ValueError,
  add,
  concat,
  div,
  formatShape,
  gather,
  linear,
  log,
  matmul,
  maximum,
  minimum,
  mul,
  ne,
  pad,
  scatterAdd,
  sigmoid,
  softmax,
  stack,
  sub,
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
 * The parameters of {@link pointerGeneratorStep}, named after See et al.'s symbols. Shapes use
 * `Dh` encoder depth, `Ds` decoder state, `Dx` decoder input, `A` attention size, `Hv` the
 * output layer's hidden size, `V` vocabulary size.
 */
export interface PointerGeneratorParameters {
  /** `W_h`, `[A, Dh]`. */
  encoderWeight: Tensor;
  /** `W_s`, `[A, Ds]`. */
  stateWeight: Tensor;
  /** `w_c`, `[A]`: the coverage term (null: no coverage in the energy). */
  coverageWeight?: Tensor | null;
  /** `b_attn`, `[A]`. */
  attentionBias?: Tensor | null;
  /** `v`, `[A]`. */
  v: Tensor;
  /** `V`, `[Hv, Ds + Dh]` (applied to `[s_t; h*_t]`). */
  outputHiddenWeight: Tensor;
  /** `b`, `[Hv]`. */
  outputHiddenBias?: Tensor | null;
  /** `V'`, `[V, Hv]`. */
  outputWeight: Tensor;
  /** `b'`, `[V]`. */
  outputBias?: Tensor | null;
  /** `[w_h*; w_s; w_x]`, `[1, Dh + Ds + Dx]` (applied to `[h*_t; s_t; x_t]`). */
  switchWeight: Tensor;
  /** `b_ptr`, `[1]`. */
  switchBias?: Tensor | null;
}

/** Options of {@link pointerGeneratorStep}. */
export interface PointerGeneratorStepOptions {
  /** Coverage `c_t = Σ_{t'<t} a_{t'}`, `[B, S]` (default zeros: the first step). */
  coverage?: Tensor | null;
  /** Bool `[B, S]` (true = a real source token, may be attended) or additive mask. */
  mask?: AttentionMask | null;
  /** `O`, the number of source OOV slots after the vocabulary (default: inferred from `sourceIds`). */
  oovCount?: number;
  /** `W_h h` precomputed by {@link PointerGenerator.projectEncoder}, `[B, S, A]`. */
  projectedEncoder?: Tensor;
  /** Added to `P(w)` before the log (default 1e-12) so no log is taken of 0. */
  epsilon?: number;
}

/** One decoder step of the pointer-generator. */
export interface PointerGeneratorStepResult {
  /** `log(P(w) + ε)` over the extended vocabulary, `[B, V + O]`. */
  logProbabilities: Tensor;
  /** The attention `a_t`, `[B, S]` (0 on masked source tokens). */
  weights: Tensor;
  /** The context `h*_t`, `[B, Dh]`. */
  context: Tensor;
  /** `p_gen`, `[B]`. */
  pGen: Tensor;
  /** `P_vocab`, `[B, V]`. */
  vocabProbabilities: Tensor;
  /** The next step's coverage `c_{t+1} = c_t + a_t`, `[B, S]`. */
  coverage: Tensor;
  /** `covloss_t = Σ_i min(a_i, c_i)`, `[B]` (with this step's `c_t`). */
  coverageLoss: Tensor;
}

function checkTensor(op: string, argument: string, tensor: Tensor, shape: readonly number[], pattern: string): void {
  if (tensor.dtype !== 'float32') throw new DTypeError(op, argument, 'float32', tensor.dtype);
  if (formatShape(tensor.shape) !== formatShape(shape)) throw new ShapeError(op, argument, `${pattern} = ${formatShape(shape)}`, tensor.shape);
}

/** Checks source ids `[B, S]` against the vocabulary and returns the number of OOV slots. */
function resolveOovCount(op: string, sourceIds: Tensor, batch: number, keys: number, vocabSize: number, given?: number): number {
  if (sourceIds.dtype !== 'int32') throw new DTypeError(op, 'sourceIds', 'int32', sourceIds.dtype);
  if (formatShape(sourceIds.shape) !== formatShape([batch, keys])) throw new ShapeError(op, 'sourceIds', `[B, S] = ${formatShape([batch, keys])}`, sourceIds.shape);
  if (given !== undefined && !(Number.isInteger(given) && given >= 0)) throw new ValueError(op, 'oovCount', `must be a non-negative integer, got ${given}`);
  if (!sourceIds.backend.readSync) {
    if (given === undefined) throw new ValueError(op, 'oovCount', 'is required on a backend that cannot read sourceIds synchronously');
    return given;
  }
  let largest = -1;
  for (const id of sourceIds.dataSync()) {
    if (id < 0) throw new ValueError(op, 'sourceIds', `ids must be non-negative, got ${id}`);
    largest = Math.max(largest, id);
  }
  const needed = Math.max(0, largest + 1 - vocabSize);
  if (given !== undefined && given < needed) {
    throw new ValueError(op, 'sourceIds', `id ${largest} needs ${needed} OOV slots after the ${vocabSize}-word vocabulary, but oovCount is ${given}`);
  }
  return given ?? needed;
}

/**
 * One decoder step of the pointer-generator network with coverage (See, Liu & Manning 2017,
 * "Get To The Point: Summarization with Pointer-Generator Networks"):
 *
 * - attention with coverage: `e_i = vᵀ tanh(W_h h_i + W_s s_t + w_c c_i + b_attn)`, `a = softmax(e)`,
 *   context `h*_t = Σ_i a_i h_i`;
 * - vocabulary: `P_vocab = softmax(V'(V[s_t; h*_t] + b) + b')`;
 * - switch: `p_gen = σ(w_h*ᵀ h*_t + w_sᵀ s_t + w_xᵀ x_t + b_ptr)`;
 * - `P(w) = p_gen P_vocab(w) + (1 − p_gen) Σ_{i: w_i = w} a_i` over the extended vocabulary: ids
 *   `V … V+O−1` are this batch's source OOVs, which only copying can produce;
 * - `covloss_t = Σ_i min(a_i, c_i)`, and the next coverage `c_{t+1} = c_t + a_t`.
 *
 * Returns `log(P(w) + ε)` (ε = 1e-12 by default): finite for words that cannot occur (an OOV slot
 * absent from a source has `P = 0`, log ≈ −27.6, zero gradient), and within float32 rounding
 * of `log P` elsewhere. Train with {@link pointerGeneratorLoss} (or `-gather(logProbabilities, target)`).
 *
 * Legend: `B` batch, `S` source length, `Dh` encoder depth, `Ds` decoder state, `Dx` decoder
 * input, `A` attention size, `V` vocabulary, `O` OOV slots.
 *
 * @param encoderOutputs - `h`, `[B, S, Dh]`.
 * @param state - the decoder state `s_t`, `[B, Ds]`.
 * @param input - the decoder input `x_t` (the previous word's embedding), `[B, Dx]`.
 * @param sourceIds - int32 `[B, S]`: each source token's extended-vocabulary id.
 * @returns `{ logProbabilities [B, V+O], weights [B, S], context [B, Dh], pGen [B], vocabProbabilities [B, V], coverage [B, S], coverageLoss [B] }`.
 * @example
 * ```ts
 * const model = new PointerGenerator(8, 6, 4, 50);
 * const step = pointerGeneratorStep(encoderOutputs, state, input, sourceIds, model.parameterSet(), { coverage }); // logProbabilities [B, 50 + O]
 * ```
 */
export function pointerGeneratorStep(
  encoderOutputs: Tensor,
  state: Tensor,
  input: Tensor,
  sourceIds: Tensor,
  parameters: PointerGeneratorParameters,
  options: PointerGeneratorStepOptions = {},
): PointerGeneratorStepResult {
  const op = 'pointerGeneratorStep';
  if (encoderOutputs.rank !== 3) throw new ShapeError(op, 'encoderOutputs', '[B, S, Dh]', encoderOutputs.shape);
  const [batch, keys, encoderDepth] = encoderOutputs.shape as [number, number, number];
  if (state.rank !== 2 || state.shape[0] !== batch) throw new ShapeError(op, 'state', `[B = ${batch}, Ds]`, state.shape);
  if (input.rank !== 2 || input.shape[0] !== batch) throw new ShapeError(op, 'input', `[B = ${batch}, Dx]`, input.shape);
  const { v } = parameters;
  if (v.rank !== 1) throw new ShapeError(op, 'v', '[A]', v.shape);
  const hidden = v.shape[0];
  const stateDepth = state.shape[1];
  checkTensor(op, 'encoderWeight', parameters.encoderWeight, [hidden, encoderDepth], '[A, Dh]');
  checkTensor(op, 'stateWeight', parameters.stateWeight, [hidden, stateDepth], '[A, Ds]');
  if (parameters.coverageWeight) checkTensor(op, 'coverageWeight', parameters.coverageWeight, [hidden], '[A]');
  if (parameters.attentionBias) checkTensor(op, 'attentionBias', parameters.attentionBias, [hidden], '[A]');
  const outputHidden = parameters.outputHiddenWeight.shape[0];
  checkTensor(op, 'outputHiddenWeight', parameters.outputHiddenWeight, [outputHidden, stateDepth + encoderDepth], '[Hv, Ds + Dh]');
  if (parameters.outputHiddenBias) checkTensor(op, 'outputHiddenBias', parameters.outputHiddenBias, [outputHidden], '[Hv]');
  const vocabSize = parameters.outputWeight.shape[0];
  checkTensor(op, 'outputWeight', parameters.outputWeight, [vocabSize, outputHidden], '[V, Hv]');
  if (parameters.outputBias) checkTensor(op, 'outputBias', parameters.outputBias, [vocabSize], '[V]');
  checkTensor(op, 'switchWeight', parameters.switchWeight, [1, encoderDepth + stateDepth + input.shape[1]], '[1, Dh + Ds + Dx]');
  if (parameters.switchBias) checkTensor(op, 'switchBias', parameters.switchBias, [1], '[1]');
  const oovCount = resolveOovCount(op, sourceIds, batch, keys, vocabSize, options.oovCount);
  const coverage = options.coverage ?? zeros([batch, keys], { backend: encoderOutputs.backend });
  checkTensor(op, 'coverage', coverage, [batch, keys], '[B, S]');
  const epsilon = options.epsilon ?? 1e-12;
  if (!(epsilon >= 0)) throw new ValueError(op, 'epsilon', `must be non-negative, got ${epsilon}`);
  const projected = options.projectedEncoder ?? linear(encoderOutputs, parameters.encoderWeight);
  checkTensor(op, 'projectedEncoder', projected, [batch, keys, hidden], '[B, S, A]');

  // Attention with coverage.
  let inner = add(projected, linear(state, parameters.stateWeight, parameters.attentionBias ?? null).unsqueeze(1)); // [B, S, A]
  if (parameters.coverageWeight) inner = add(inner, mul(coverage.unsqueeze(-1), parameters.coverageWeight));
  const energies = matmul(tanh(inner), v); // [B, S]
  const weights = softmax(maskScores(op, energies, options.mask).scores, -1);
  const context = matmul(weights.unsqueeze(1), encoderOutputs).squeeze(1); // [B, Dh]

  // Generate or copy.
  const hiddenOutput = linear(concat([state, context], -1), parameters.outputHiddenWeight, parameters.outputHiddenBias ?? null);
  const vocabProbabilities = softmax(linear(hiddenOutput, parameters.outputWeight, parameters.outputBias ?? null), -1); // [B, V]
  const pGen = sigmoid(linear(concat([context, state, input], -1), parameters.switchWeight, parameters.switchBias ?? null)); // [B, 1]
  const generated = pad(mul(vocabProbabilities, pGen), [0, oovCount]); // [B, V + O]
  const copyWeights = mul(weights, sub(1, pGen)); // [B, S]
  const probabilities = scatterAdd(generated, 1, sourceIds, copyWeights);
  return {
    logProbabilities: log(epsilon > 0 ? add(probabilities, epsilon) : probabilities),
    weights,
    context,
    pGen: pGen.squeeze(1),
    vocabProbabilities,
    coverage: add(coverage, weights),
    coverageLoss: sum(minimum(weights, coverage), -1),
  };
}

/** A whole teacher-forced sequence through {@link PointerGenerator.forward}. */
export interface PointerGeneratorOutput {
  /** `log(P(w) + ε)`, `[B, T, V + O]`. */
  logProbabilities: Tensor;
  /** The attention of each step, `[B, T, S]`. */
  weights: Tensor;
  /** `p_gen` of each step, `[B, T]`. */
  pGen: Tensor;
  /** `covloss_t`, `[B, T]`. */
  coverageLoss: Tensor;
  /** The coverage after the last step, `[B, S]` (pass it on to continue decoding). */
  coverage: Tensor;
}

/** Options of {@link pointerGeneratorLoss}. */
export interface PointerGeneratorLossOptions {
  /** `λ`, the weight of the coverage loss (default 1, as in the paper). */
  coverageWeight?: number;
  /** Target id that marks padding: those steps add nothing and are left out of the mean. */
  ignoreIndex?: number | null;
}

/**
 * The training loss of See et al.: `−log P(w*_t) + λ Σ_i min(a_i, c_i)`, averaged over the
 * (non-ignored) target steps of the batch.
 *
 * @param output - what {@link PointerGenerator.forward} returned.
 * @param target - int32 `[B, T]`, extended-vocabulary ids of the reference words.
 * @returns a scalar.
 * @example
 * ```ts
 * const loss = pointerGeneratorLoss(model.forward(encoderOutputs, states, inputs, sourceIds), target, { ignoreIndex: 0 });
 * ```
 */
export function pointerGeneratorLoss(output: PointerGeneratorOutput, target: Tensor, options: PointerGeneratorLossOptions = {}): Tensor {
  const op = 'pointerGeneratorLoss';
  const { logProbabilities, coverageLoss } = output;
  if (target.dtype !== 'int32') throw new DTypeError(op, 'target', 'int32', target.dtype);
  if (formatShape(target.shape) !== formatShape(coverageLoss.shape)) throw new ShapeError(op, 'target', `[B, T] = ${formatShape(coverageLoss.shape)}`, target.shape);
  const lambda = options.coverageWeight ?? 1;
  const ignore = options.ignoreIndex ?? null;
  const valid = ignore === null ? null : ne(target, ignore);
  const safe = valid ? where(valid, target, 0).int() : target;
  const picked = gather(logProbabilities, -1, safe.unsqueeze(-1)).squeeze(-1); // [B, T]
  let perStep = sub(mul(coverageLoss, lambda), picked);
  if (valid) perStep = where(valid, perStep, 0);
  return div(sum(perStep), valid ? maximum(sum(valid.float()), 1) : Math.max(1, target.size));
}

/** Options of the {@link PointerGenerator} module. */
export interface PointerGeneratorOptions {
  /** Attention size `A` (default `Dh`). */
  attentionDim?: number;
  /** Hidden size `Hv` of the vocabulary layer `V` (default `Ds`). */
  outputHiddenSize?: number;
  /** Feed coverage into the attention energy (default true; false drops `w_c`). */
  coverage?: boolean;
  /** See {@link PointerGeneratorStepOptions.epsilon} (default 1e-12). */
  epsilon?: number;
  /** Generator for the initial weights. */
  generator?: Generator;
}

/** Per-call options of {@link PointerGenerator.forward} and {@link PointerGenerator.step}. */
export type PointerGeneratorCallOptions = Pick<PointerGeneratorStepOptions, 'coverage' | 'mask' | 'oovCount' | 'projectedEncoder'>;

/**
 * The pointer-generator network with coverage (See, Liu & Manning 2017) as a module: the
 * attention, vocabulary and switch layers that sit on top of your encoder and decoder. You run
 * the encoder (`h`, `[B, S, Dh]`) and the decoder cell (`s_t`) yourself; with teacher forcing
 * {@link PointerGenerator.forward} takes all decoder states `[B, T, Ds]` and inputs `[B, T, Dx]`
 * at once and loops over the steps (coverage is sequential); {@link PointerGenerator.step}
 * decodes one step. Parameters are named after the paper (see {@link PointerGeneratorParameters});
 * each is initialised U(±1/√fanIn) like the `nn.Linear` it stands for.
 *
 * @example
 * ```ts
 * const model = new PointerGenerator(8, 6, 4, 50, { attentionDim: 8 });  // Dh, Ds, Dx, V
 * const output = model.forward(encoderOutputs, decoderStates, decoderInputs, sourceIds, { mask }); // logProbabilities [B, T, 50 + O]
 * pointerGeneratorLoss(output, target).backward();
 * ```
 */
export class PointerGenerator extends Module {
  readonly encoderWeight: Tensor;
  readonly stateWeight: Tensor;
  readonly coverageWeight: Tensor | null;
  readonly attentionBias: Tensor;
  readonly v: Tensor;
  readonly outputHiddenWeight: Tensor;
  readonly outputHiddenBias: Tensor;
  readonly outputWeight: Tensor;
  readonly outputBias: Tensor;
  readonly switchWeight: Tensor;
  readonly switchBias: Tensor;

  constructor(
    readonly encoderDim: number,
    readonly stateDim: number,
    readonly inputDim: number,
    readonly vocabSize: number,
    readonly options: PointerGeneratorOptions = {},
  ) {
    super();
    const attentionDim = options.attentionDim ?? encoderDim;
    const outputHidden = options.outputHiddenSize ?? stateDim;
    const sizes = [['encoderDim', encoderDim], ['stateDim', stateDim], ['inputDim', inputDim], ['vocabSize', vocabSize], ['attentionDim', attentionDim], ['outputHiddenSize', outputHidden]] as const;
    for (const [name, size] of sizes) {
      if (!Number.isInteger(size) || size < 1) throw new ValueError('PointerGenerator', name, `must be a positive integer, got ${size}`);
    }
    const random = options.generator ? { generator: options.generator } : {};
    const bounded = (shape: number[], fanIn: number): Tensor => uniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), random);
    const switchWidth = encoderDim + stateDim + inputDim;
    this.encoderWeight = this.registerParameter('encoderWeight', bounded([attentionDim, encoderDim], encoderDim));
    this.stateWeight = this.registerParameter('stateWeight', bounded([attentionDim, stateDim], stateDim));
    this.coverageWeight = this.registerParameter('coverageWeight', options.coverage === false ? null : bounded([attentionDim], 1));
    this.attentionBias = this.registerParameter('attentionBias', bounded([attentionDim], stateDim));
    this.v = this.registerParameter('v', bounded([attentionDim], attentionDim));
    this.outputHiddenWeight = this.registerParameter('outputHiddenWeight', bounded([outputHidden, stateDim + encoderDim], stateDim + encoderDim));
    this.outputHiddenBias = this.registerParameter('outputHiddenBias', bounded([outputHidden], stateDim + encoderDim));
    this.outputWeight = this.registerParameter('outputWeight', bounded([vocabSize, outputHidden], outputHidden));
    this.outputBias = this.registerParameter('outputBias', bounded([vocabSize], outputHidden));
    this.switchWeight = this.registerParameter('switchWeight', bounded([1, switchWidth], switchWidth));
    this.switchBias = this.registerParameter('switchBias', bounded([1], switchWidth));
  }

  /** The parameters as {@link pointerGeneratorStep} takes them. */
  parameterSet(): PointerGeneratorParameters {
    const { encoderWeight, stateWeight, coverageWeight, attentionBias, v, outputHiddenWeight, outputHiddenBias, outputWeight, outputBias, switchWeight, switchBias } = this;
    return { encoderWeight, stateWeight, coverageWeight, attentionBias, v, outputHiddenWeight, outputHiddenBias, outputWeight, outputBias, switchWeight, switchBias };
  }

  /** `W_h h`, `[B, S, A]`: compute once per source and pass as `projectedEncoder` to {@link PointerGenerator.step}. */
  projectEncoder(encoderOutputs: Tensor): Tensor {
    if (encoderOutputs.rank !== 3 || encoderOutputs.shape[2] !== this.encoderDim) {
      throw new ShapeError('PointerGenerator', 'encoderOutputs', `[B, S, Dh = ${this.encoderDim}]`, encoderOutputs.shape);
    }
    return linear(encoderOutputs, this.encoderWeight);
  }

  /** One decoder step: `state` `[B, Ds]`, `input` `[B, Dx]`; see {@link pointerGeneratorStep}. */
  step(encoderOutputs: Tensor, state: Tensor, input: Tensor, sourceIds: Tensor, options: PointerGeneratorCallOptions = {}): PointerGeneratorStepResult {
    return pointerGeneratorStep(encoderOutputs, state, input, sourceIds, this.parameterSet(), {
      ...options,
      ...(this.options.epsilon === undefined ? {} : { epsilon: this.options.epsilon }),
    });
  }

  /**
   * A teacher-forced sequence: step `t` reads `states[:, t]` and `inputs[:, t]` and the coverage
   * of the steps before it.
   *
   * @param encoderOutputs - `[B, S, Dh]`.
   * @param states - decoder states `[B, T, Ds]`.
   * @param inputs - decoder inputs `[B, T, Dx]`.
   * @param sourceIds - int32 `[B, S]`, extended-vocabulary ids.
   * @returns `{ logProbabilities [B, T, V+O], weights [B, T, S], pGen [B, T], coverageLoss [B, T], coverage [B, S] }`.
   */
  forward(encoderOutputs: Tensor, states: Tensor, inputs: Tensor, sourceIds: Tensor, options: PointerGeneratorCallOptions = {}): PointerGeneratorOutput {
    const op = 'PointerGenerator';
    if (states.rank !== 3) throw new ShapeError(op, 'states', '[B, T, Ds]', states.shape);
    const steps = states.shape[1];
    if (inputs.rank !== 3 || inputs.shape[0] !== states.shape[0] || inputs.shape[1] !== steps) {
      throw new ShapeError(op, 'inputs', `[B = ${states.shape[0]}, T = ${steps}, Dx]`, inputs.shape);
    }
    if (steps === 0) throw new ValueError(op, 'states', 'needs at least one step (T ≥ 1)');
    const projectedEncoder = options.projectedEncoder ?? this.projectEncoder(encoderOutputs);
    const oovCount = options.oovCount ?? resolveOovCount(op, sourceIds, encoderOutputs.shape[0], encoderOutputs.shape[1], this.vocabSize);
    let coverage = options.coverage ?? null;
    const results: PointerGeneratorStepResult[] = [];
    for (let t = 0; t < steps; t++) {
      const result = this.step(encoderOutputs, states.slice(1, t, t + 1).squeeze(1), inputs.slice(1, t, t + 1).squeeze(1), sourceIds, {
        ...options,
        coverage,
        oovCount,
        projectedEncoder,
      });
      results.push(result);
      coverage = result.coverage;
    }
    const [logProbabilities, weights, pGen, coverageLoss] = (['logProbabilities', 'weights', 'pGen', 'coverageLoss'] as const).map((name) =>
      stack(results.map((result) => result[name]), 1),
    );
    return { logProbabilities, weights, pGen, coverageLoss, coverage: coverage! };
  }
}
