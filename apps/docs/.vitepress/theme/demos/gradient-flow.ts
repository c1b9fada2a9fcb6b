/**
 * The computation behind the gradient-flow demo: the norm of the gradient of a loss at the last
 * step with respect to the input at every position, for an RNN, an LSTM, a GRU (from
 * `@heed/rnn`) and one self-attention layer (from `@heed/attention`), all at initialisation.
 */
import { MultiHeadAttention } from '@heed/attention';
import { GRU, LSTM, RNN } from '@heed/rnn';
import { Generator, randn, type Tensor } from '@heed/tensor';

export const gradientFlowModels = ['RNN', 'LSTM', 'GRU', 'attention'] as const;
export type GradientFlowModel = (typeof gradientFlowModels)[number];

export interface GradientFlowOptions {
  /** Sequence length `T`. */
  readonly length: number;
  /** Input width (default 8). */
  readonly inputSize?: number;
  /** Hidden or model width (default 32). */
  readonly hiddenSize?: number;
  readonly seed?: number;
}

export interface GradientFlowResult {
  /** `‖∂loss/∂x_t‖` for t = 0…T−1, per model. */
  readonly norms: Record<GradientFlowModel, number[]>;
  readonly milliseconds: number;
}

/** The last step's output `[B, H]` of each model, for the input `[B, T, I]`. */
function lastOutput(model: GradientFlowModel, x: Tensor, hiddenSize: number, generator: Generator): Tensor {
  const [, length, inputSize] = x.shape as [number, number, number];
  if (model === 'attention') {
    // One causal self-attention layer over the inputs projected to the model width.
    const project = randn([inputSize, hiddenSize], { generator }).div(Math.sqrt(inputSize));
    const h = x.matmul(project);
    const layer = new MultiHeadAttention(hiddenSize, 1, { generator });
    return layer.forward(h, h, h, { causal: true, needWeights: false }).output.slice(1, length - 1, length).squeeze(1);
  }
  const Layer = { RNN, LSTM, GRU }[model];
  const layer = new Layer(inputSize, hiddenSize, { batchFirst: true, generator });
  return layer.forward(x).output.slice(1, length - 1, length).squeeze(1);
}

/** Measures the gradient norm per input position for every model. */
export function computeGradientFlow(options: GradientFlowOptions): GradientFlowResult {
  const started = performance.now();
  const inputSize = options.inputSize ?? 8;
  const hiddenSize = options.hiddenSize ?? 32;
  const norms = {} as Record<GradientFlowModel, number[]>;
  for (const model of gradientFlowModels) {
    const generator = new Generator(options.seed ?? 0);
    const x = randn([1, options.length, inputSize], { generator }).requiresGrad_();
    lastOutput(model, x, hiddenSize, generator).sum().backward();
    const grad = x.grad;
    if (!grad) throw new Error(`${model}: no gradient reached the input`);
    norms[model] = (grad.square().sum(-1).sqrt().toArray() as number[][])[0] ?? [];
  }
  return { norms, milliseconds: performance.now() - started };
}
