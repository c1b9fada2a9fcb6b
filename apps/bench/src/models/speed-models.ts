/**
 * The seven layers the speed suite times, each at width `d` on `[B, T, d]` inputs: three
 * recurrent layers and four attention variants (one head of width d with query/key/value and
 * output projections, causal, so every model reads the sequence left to right as the RNNs do).
 */
import { Linear, Module, chunk, mean, type Generator, type Tensor } from '@heed/tensor';
import {
  linearAttention,
  memoryEfficientAttention,
  scaledDotProductAttention,
  slidingWindowPattern,
  sparseAttention,
  type AttentionPattern,
} from '@heed/attention';
import { GRU, LSTM, RNN } from '@heed/rnn';

/** One timed layer: `forward` maps `[B, T, d]` to `[B, T, d]`. */
export interface SpeedModel {
  name: string;
  description: string;
  family: 'recurrent' | 'attention';
  module: Module;
  forward(input: Tensor): Tensor;
}

/** The names, in the order tables list them. */
export const SPEED_MODEL_NAMES = ['rnn', 'lstm', 'gru', 'full attention', 'memory-efficient', 'local window', 'linear attention'] as const;
/** One of {@link SPEED_MODEL_NAMES}. */
export type SpeedModelName = (typeof SPEED_MODEL_NAMES)[number];

class RecurrentLayer extends Module {
  constructor(readonly layer: RNN | LSTM | GRU) {
    super();
    this.registerModule('layer', layer);
  }

  forward(input: Tensor): Tensor {
    return this.layer.forward(input).output;
  }
}

type AttentionCore = (query: Tensor, key: Tensor, value: Tensor) => Tensor;

class AttentionLayer extends Module {
  readonly inProj: Linear;
  readonly outProj: Linear;

  constructor(
    readonly width: number,
    readonly core: AttentionCore,
    generator: Generator,
  ) {
    super();
    this.inProj = this.registerModule('inProj', new Linear(width, 3 * width, { generator }));
    this.outProj = this.registerModule('outProj', new Linear(width, width, { generator }));
  }

  forward(input: Tensor): Tensor {
    const [query, key, value] = chunk(this.inProj.forward(input), 3, -1);
    return this.outProj.forward(this.core(query, key, value));
  }
}

/**
 * Builds one speed-suite model.
 *
 * @example
 * ```ts
 * const model = buildSpeedModel('memory-efficient', { width: 64, window: 64, generator: new Generator(1) });
 * model.forward(randn([1, 1024, 64])); // [1, 1024, 64]
 * ```
 */
export function buildSpeedModel(name: SpeedModelName, options: { width: number; window: number; generator: Generator }): SpeedModel {
  const { width, window, generator } = options;
  const recurrent = (layer: RNN | LSTM | GRU, description: string): SpeedModel => {
    const module = new RecurrentLayer(layer);
    return { name, description, family: 'recurrent', module, forward: (input) => module.forward(input) };
  };
  const attention = (core: AttentionCore, description: string): SpeedModel => {
    const module = new AttentionLayer(width, core, generator);
    return { name, description, family: 'attention', module, forward: (input) => module.forward(input) };
  };
  switch (name) {
    case 'rnn':
      return recurrent(new RNN(width, width, { batchFirst: true, generator }), `tanh RNN, hidden ${width}`);
    case 'lstm':
      return recurrent(new LSTM(width, width, { batchFirst: true, generator }), `LSTM, hidden ${width}`);
    case 'gru':
      return recurrent(new GRU(width, width, { batchFirst: true, generator }), `GRU, hidden ${width}`);
    case 'full attention':
      // returnWeights forms the T×T weights: without it scaledDotProductAttention runs the fused kernel,
      // which is the 'memory-efficient' row below.
      return attention((q, k, v) => scaledDotProductAttention(q, k, v, { causal: true, returnWeights: true }).output, 'causal softmax attention materialising the T×T weights (scaledDotProductAttention with returnWeights)');
    case 'memory-efficient':
      return attention((q, k, v) => memoryEfficientAttention(q, k, v, { causal: true }), 'causal memoryEfficientAttention (key blocks, online softmax, recomputing backward)');
    case 'local window': {
      const pattern: AttentionPattern = slidingWindowPattern({ window, causal: true });
      return attention((q, k, v) => sparseAttention(q, k, v, { pattern }), `causal sparseAttention with a sliding window of ${window} keys`);
    }
    case 'linear attention':
      return attention((q, k, v) => linearAttention(q, k, v, { causal: true }), 'causal linearAttention (elu+1 feature map, chunked prefix sums)');
  }
}

/** The loss a training step differentiates: the mean square of the layer's output. */
export function speedLoss(output: Tensor): Tensor {
  return mean(output.square());
}
