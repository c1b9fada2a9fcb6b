/**
 * The models the learning and gradient suites train: an RNN, an LSTM and a GRU (one layer, a
 * linear read-out), and small causal transformers built from `@heed/attention`'s public
 * Transformer layers (input projection, sinusoidal positions, pre-norm encoder layers, a final
 * norm, a linear read-out) with four attention cores: full (dense softmax), memory-efficient
 * (the same exact softmax without the T×T matrix), a local sliding window, and linear
 * attention. Each is sized to a target parameter count so the comparison is at equal capacity.
 */
import { LayerNorm, Linear, Module, noGrad, tensor, type Generator, type Tensor } from '@heed/tensor';
import { SinusoidalPositionalEncoding, TransformerEncoder, TransformerEncoderLayer, type AttentionCore } from '@heed/attention';
import { GRU, LSTM, RNN } from '@heed/rnn';

/** The learners: three recurrent layers and a transformer per attention core. */
export const SEQUENCE_MODEL_KINDS = [
  'rnn',
  'lstm',
  'gru',
  'transformer-full',
  'transformer-memory-efficient',
  'transformer-local',
  'transformer-linear',
] as const;
/** One of {@link SEQUENCE_MODEL_KINDS}. */
export type SequenceModelKind = (typeof SEQUENCE_MODEL_KINDS)[number];
/** The recurrent kinds. */
export const RECURRENT_KINDS: readonly SequenceModelKind[] = ['rnn', 'lstm', 'gru'];

/** Whether `kind` is one of the transformers. */
export function isTransformer(kind: SequenceModelKind): boolean {
  return kind.startsWith('transformer-');
}

/** The name tables and results use: `lstm`, `transformer (local w=64)`, … */
export function modelName(kind: SequenceModelKind, window: number): string {
  switch (kind) {
    case 'transformer-full':
      return 'transformer (full)';
    case 'transformer-memory-efficient':
      return 'transformer (memory-efficient)';
    case 'transformer-local':
      return `transformer (local w=${window})`;
    case 'transformer-linear':
      return 'transformer (linear)';
    default:
      return kind;
  }
}

/** The attention core of a transformer kind, as `TransformerEncoderLayer`'s `attentionCore` option. */
export function attentionCoreOf(kind: SequenceModelKind, window: number): AttentionCore {
  switch (kind) {
    case 'transformer-full':
      return 'dense';
    case 'transformer-memory-efficient':
      return 'memory-efficient';
    case 'transformer-local':
      return { kind: 'local', window };
    case 'transformer-linear':
      return { kind: 'linear' };
    default:
      throw new RangeError(`${kind} is not a transformer`);
  }
}

/** Transformer shape: layers, heads, feed-forward width factor. */
export const ATTENTION_LAYERS = 1;
export const ATTENTION_HEADS = 2;
const MLP_FACTOR = 2;

/** A model mapping inputs `[B, T, F]` to outputs at the last `answers` positions `[B, answers, C]`. */
export interface SequenceModel {
  kind: SequenceModelKind;
  /** The display name ({@link modelName}). */
  name: string;
  /** Hidden size (recurrent) or model width (attention). */
  hidden: number;
  module: Module;
  description: string;
  forward(inputs: Tensor, answers: number): Tensor;
}

/** Parameters of a model of `kind` with hidden size / width `hidden` (matches `module.parameters()`). */
export function parameterCount(kind: SequenceModelKind, features: number, classes: number, hidden: number): number {
  const readout = hidden * classes + classes;
  if (!isTransformer(kind)) {
    const gates = kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
    return gates * hidden * (features + hidden) + 2 * gates * hidden + readout;
  }
  const d = hidden;
  const embed = features * d + d;
  const block = 2 * d + (3 * d * d + 3 * d) + (d * d + d) + 2 * d + (d * MLP_FACTOR * d + MLP_FACTOR * d) + (MLP_FACTOR * d * d + d);
  return embed + ATTENTION_LAYERS * block + 2 * d + readout;
}

/**
 * The hidden size whose parameter count without the input weights is closest to `target`
 * (attention widths are multiples of the head count). The input weights are left out because
 * they grow with the vocabulary (MQAR's keys), not with what the model can hold.
 */
export function hiddenForBudget(kind: SequenceModelKind, features: number, classes: number, target: number): number {
  const step = isTransformer(kind) ? ATTENTION_HEADS : 1;
  const core = (hidden: number): number => parameterCount(kind, features, classes, hidden) - inputParameterCount(kind, features, hidden);
  let best = step;
  for (let hidden = step; hidden <= 1024; hidden += step) {
    if (Math.abs(core(hidden) - target) < Math.abs(core(best) - target)) best = hidden;
  }
  return best;
}

/**
 * Sets the LSTM's forget-gate input bias to `value` (gates are stacked i, f, g, o), the usual
 * recipe for learning long dependencies (Gers et al. 2000; Jozefowicz et al. 2015; Keras's
 * `unit_forget_bias`, on by default).
 */
export function setForgetBias(layer: LSTM, hidden: number, value: number): void {
  const bias = layer.parameter('bias_ih_l0');
  const data = Float32Array.from(bias.dataSync() as Float32Array);
  data.fill(value, hidden, 2 * hidden);
  noGrad(() => bias.assign(tensor(data, { shape: [4 * hidden] })));
}

class RecurrentModel extends Module {
  readonly layer: RNN | LSTM | GRU;
  readonly readout: Linear;

  constructor(kind: 'rnn' | 'lstm' | 'gru', features: number, classes: number, hidden: number, generator: Generator) {
    super();
    const Layer = kind === 'lstm' ? LSTM : kind === 'gru' ? GRU : RNN;
    this.layer = this.registerModule('layer', new Layer(features, hidden, { batchFirst: true, generator }));
    this.readout = this.registerModule('readout', new Linear(hidden, classes, { generator }));
    if (this.layer instanceof LSTM) setForgetBias(this.layer, hidden, 1);
  }

  forward(inputs: Tensor, answers: number): Tensor {
    const { output } = this.layer.forward(inputs);
    const steps = output.shape[1];
    return this.readout.forward(output.slice(1, steps - answers, steps));
  }
}

/**
 * A decoder-only (GPT-style) stack from `@heed/attention`'s public layers: a
 * `TransformerEncoder` run with `isCausal`, as PyTorch users build one; pre-norm layers with a
 * ReLU feed-forward (PyTorch's default) of twice the width, no dropout, and the attention core as
 * the only change between the four transformers (which start from the same initial weights).
 */
class TransformerModel extends Module {
  readonly embed: Linear;
  readonly positions: SinusoidalPositionalEncoding;
  readonly encoder: TransformerEncoder;
  readonly readout: Linear;

  constructor(features: number, classes: number, width: number, core: AttentionCore, generator: Generator) {
    super();
    this.embed = this.registerModule('embed', new Linear(features, width, { generator }));
    this.positions = this.registerModule('positions', new SinusoidalPositionalEncoding(width));
    const layer = new TransformerEncoderLayer(width, ATTENTION_HEADS, {
      dimFeedforward: MLP_FACTOR * width,
      dropout: 0,
      activation: 'relu',
      normFirst: true,
      batchFirst: true,
      attentionCore: core,
      generator,
    });
    this.encoder = this.registerModule('encoder', new TransformerEncoder(layer, ATTENTION_LAYERS, { norm: new LayerNorm(width) }));
    this.readout = this.registerModule('readout', new Linear(width, classes, { generator }));
  }

  forward(inputs: Tensor, answers: number): Tensor {
    const x = this.encoder.forward(this.positions.forward(this.embed.forward(inputs)), { isCausal: true });
    const steps = x.shape[1];
    return this.readout.forward(x.slice(1, steps - answers, steps));
  }
}

/** Options of {@link buildSequenceModel}. */
export interface SequenceModelOptions {
  features: number;
  classes: number;
  /** Parameters without the input weights (those grow with the vocabulary, not with capacity). */
  targetParameters: number;
  generator: Generator;
  /** Keys each query sees in the local-window transformer (default 64). */
  window?: number;
}

/**
 * Builds a model of `kind` sized to about `targetParameters` (not counting the input weights).
 *
 * @example
 * ```ts
 * const model = buildSequenceModel('transformer-linear', { features: 2, classes: 1, targetParameters: 4000, generator: new Generator(1) });
 * model.forward(inputs, 1); // inputs [B, T, 2] → [B, 1, 1]
 * ```
 */
export function buildSequenceModel(kind: SequenceModelKind, options: SequenceModelOptions): SequenceModel {
  const { features, classes, generator } = options;
  const window = options.window ?? 64;
  const hidden = hiddenForBudget(kind, features, classes, options.targetParameters);
  const name = modelName(kind, window);
  if (isTransformer(kind)) {
    const module = new TransformerModel(features, classes, hidden, attentionCoreOf(kind, window), generator);
    const core = { 'transformer-full': 'full softmax attention', 'transformer-memory-efficient': 'memory-efficient exact attention', 'transformer-local': `local-window attention (${window} keys)`, 'transformer-linear': 'linear attention (elu+1)' }[kind as 'transformer-full'];
    return {
      kind,
      name,
      hidden,
      module,
      description: `${ATTENTION_LAYERS}-layer causal transformer (TransformerEncoder, pre-norm, ReLU feed-forward ×${MLP_FACTOR}), width ${hidden}, ${ATTENTION_HEADS} heads, ${core}, sinusoidal positions`,
      forward: (inputs, answers) => module.forward(inputs, answers),
    };
  }
  const recurrent = kind as 'rnn' | 'lstm' | 'gru';
  const module = new RecurrentModel(recurrent, features, classes, hidden, generator);
  const names = { rnn: 'tanh RNN', lstm: 'LSTM (forget-gate bias 1)', gru: 'GRU' };
  return { kind, name, hidden, module, description: `${names[recurrent]}, hidden ${hidden}, linear read-out`, forward: (inputs, answers) => module.forward(inputs, answers) };
}

/** Parameters of the input weights: `weight_ih` of a recurrent layer, the embedding of a transformer. */
export function inputParameterCount(kind: SequenceModelKind, features: number, hidden: number): number {
  if (isTransformer(kind)) return features * hidden;
  const gates = kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
  return gates * hidden * features;
}
