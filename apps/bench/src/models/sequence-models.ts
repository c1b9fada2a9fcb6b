/**
 * The models the learning and gradient suites train: an RNN, an LSTM and a GRU (one layer, a
 * linear read-out), and a small causal transformer (input projection, sinusoidal positions,
 * pre-norm blocks of multi-head attention and an MLP, a linear read-out). Each is sized to a
 * target parameter count so the comparison is at equal capacity.
 */
import { LayerNorm, Linear, Module, gelu, noGrad, tensor, type Generator, type Tensor } from '@heed/tensor';
import { MultiHeadAttention, SinusoidalPositionalEncoding } from '@heed/attention';
import { GRU, LSTM, RNN } from '@heed/rnn';

/** The four learners. */
export const SEQUENCE_MODEL_KINDS = ['rnn', 'lstm', 'gru', 'attention'] as const;
/** One of {@link SEQUENCE_MODEL_KINDS}. */
export type SequenceModelKind = (typeof SEQUENCE_MODEL_KINDS)[number];

/** Attention model shape: layers, heads, MLP width factor. */
export const ATTENTION_LAYERS = 1;
export const ATTENTION_HEADS = 2;
const MLP_FACTOR = 2;

/** A model mapping inputs `[B, T, F]` to outputs at the last `answers` positions `[B, answers, C]`. */
export interface SequenceModel {
  kind: SequenceModelKind;
  /** Hidden size (recurrent) or model width (attention). */
  hidden: number;
  module: Module;
  description: string;
  forward(inputs: Tensor, answers: number): Tensor;
}

/** Parameters of a model of `kind` with hidden size / width `hidden` (matches `module.parameters()`). */
export function parameterCount(kind: SequenceModelKind, features: number, classes: number, hidden: number): number {
  const readout = hidden * classes + classes;
  if (kind !== 'attention') {
    const gates = kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
    return gates * hidden * (features + hidden) + 2 * gates * hidden + readout;
  }
  const d = hidden;
  const embed = features * d + d;
  const block = 2 * d + (3 * d * d + 3 * d) + (d * d + d) + 2 * d + (d * MLP_FACTOR * d + MLP_FACTOR * d) + (MLP_FACTOR * d * d + d);
  return embed + ATTENTION_LAYERS * block + 2 * d + readout;
}

/** The hidden size whose parameter count is closest to `target` (attention widths are multiples of the head count). */
export function hiddenForBudget(kind: SequenceModelKind, features: number, classes: number, target: number): number {
  const step = kind === 'attention' ? ATTENTION_HEADS : 1;
  let best = step;
  for (let hidden = step; hidden <= 1024; hidden += step) {
    if (Math.abs(parameterCount(kind, features, classes, hidden) - target) < Math.abs(parameterCount(kind, features, classes, best) - target)) best = hidden;
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

class Block extends Module {
  readonly norm1: LayerNorm;
  readonly attention: MultiHeadAttention;
  readonly norm2: LayerNorm;
  readonly up: Linear;
  readonly down: Linear;

  constructor(width: number, generator: Generator) {
    super();
    this.norm1 = this.registerModule('norm1', new LayerNorm(width));
    this.attention = this.registerModule('attention', new MultiHeadAttention(width, ATTENTION_HEADS, { generator }));
    this.norm2 = this.registerModule('norm2', new LayerNorm(width));
    this.up = this.registerModule('up', new Linear(width, MLP_FACTOR * width, { generator }));
    this.down = this.registerModule('down', new Linear(MLP_FACTOR * width, width, { generator }));
  }

  forward(x: Tensor): Tensor {
    const normed = this.norm1.forward(x);
    const attended = this.attention.forward(normed, normed, normed, { causal: true, needWeights: false }).output;
    const mixed = x.add(attended);
    return mixed.add(this.down.forward(gelu(this.up.forward(this.norm2.forward(mixed)))));
  }
}

class AttentionModel extends Module {
  readonly embed: Linear;
  readonly positions: SinusoidalPositionalEncoding;
  readonly blocks: Block[];
  readonly norm: LayerNorm;
  readonly readout: Linear;

  constructor(features: number, classes: number, width: number, generator: Generator) {
    super();
    this.embed = this.registerModule('embed', new Linear(features, width, { generator }));
    this.positions = this.registerModule('positions', new SinusoidalPositionalEncoding(width));
    this.blocks = Array.from({ length: ATTENTION_LAYERS }, (_, index) => this.registerModule(`block${index}`, new Block(width, generator)));
    this.norm = this.registerModule('norm', new LayerNorm(width));
    this.readout = this.registerModule('readout', new Linear(width, classes, { generator }));
  }

  forward(inputs: Tensor, answers: number): Tensor {
    let x = this.positions.forward(this.embed.forward(inputs));
    for (const block of this.blocks) x = block.forward(x);
    const steps = x.shape[1];
    return this.readout.forward(this.norm.forward(x.slice(1, steps - answers, steps)));
  }
}

/**
 * Builds a model of `kind` sized to about `targetParameters`.
 *
 * @example
 * ```ts
 * const model = buildSequenceModel('lstm', { features: 2, classes: 1, targetParameters: 4000, generator: new Generator(1) });
 * model.forward(inputs, 1); // [B, 1, 1]
 * ```
 */
export function buildSequenceModel(
  kind: SequenceModelKind,
  options: { features: number; classes: number; targetParameters: number; generator: Generator },
): SequenceModel {
  const { features, classes, generator } = options;
  const hidden = hiddenForBudget(kind, features, classes, options.targetParameters);
  if (kind === 'attention') {
    const module = new AttentionModel(features, classes, hidden, generator);
    return {
      kind,
      hidden,
      module,
      description: `${ATTENTION_LAYERS}-layer causal transformer, width ${hidden}, ${ATTENTION_HEADS} heads, sinusoidal positions`,
      forward: (inputs, answers) => module.forward(inputs, answers),
    };
  }
  const module = new RecurrentModel(kind, features, classes, hidden, generator);
  const names = { rnn: 'tanh RNN', lstm: 'LSTM (forget-gate bias 1)', gru: 'GRU' };
  return { kind, hidden, module, description: `${names[kind]}, hidden ${hidden}, linear read-out`, forward: (inputs, answers) => module.forward(inputs, answers) };
}
