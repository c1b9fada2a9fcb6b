/**
 * heed itself in the peers suite, on its CPU backend: the same workloads through the public API
 * a user would call (`matmul`, `memoryEfficientAttention`/`scaledDotProductAttention`, the `LSTM`
 * layer, an `Adam` training step).
 */
import { Adam, Linear, Module, chunk, cpuBackend, matmul, mean, noGrad, setBackend, tensor, type Tensor } from '@heed/tensor';
import { memoryEfficientAttention, scaledDotProductAttention } from '@heed/attention';
import { LSTM } from '@heed/rnn';
import type { Peer, PreparedRun } from './peer.js';
import type { LstmInputs, Workload } from './workloads.js';

function lstmLayer(inputs: Omit<LstmInputs, 'input' | 'batch' | 'steps'>): LSTM {
  const layer = new LSTM(inputs.inputSize, inputs.hidden, { batchFirst: true });
  layer.loadStateDict({
    weight_ih_l0: tensor(inputs.weightIh, { shape: [4 * inputs.hidden, inputs.inputSize] }),
    weight_hh_l0: tensor(inputs.weightHh, { shape: [4 * inputs.hidden, inputs.hidden] }),
    bias_ih_l0: tensor(inputs.biasIh, { shape: [4 * inputs.hidden] }),
    bias_hh_l0: tensor(inputs.biasHh, { shape: [4 * inputs.hidden] }),
  });
  return layer;
}

type Core = (query: Tensor, key: Tensor, value: Tensor) => Tensor;

class AttentionLayer extends Module {
  readonly inProj: Linear;
  readonly outProj: Linear;
  constructor(
    width: number,
    readonly core: Core,
  ) {
    super();
    this.inProj = this.registerModule('inProj', new Linear(width, 3 * width));
    this.outProj = this.registerModule('outProj', new Linear(width, width));
  }
  forward(x: Tensor): Tensor {
    const [query, key, value] = chunk(this.inProj.forward(x), 3, -1);
    return this.outProj.forward(this.core(query, key, value));
  }
}

function trainingRun(variant: string, module: Module, forward: () => Tensor): PreparedRun {
  const optimizer = new Adam(module.parameters(), { lr: 1e-3 });
  return {
    variant,
    run: () => {
      optimizer.zeroGrad();
      const loss = mean(forward().square());
      loss.backward();
      optimizer.step();
      return Promise.resolve(loss.dataSync() as Float32Array);
    },
  };
}

/** heed on its CPU backend. */
export function heedPeer(): Peer {
  return {
    library: 'heed',
    load: () => {
      setBackend(cpuBackend());
      return Promise.resolve();
    },
    prepare(workload: Workload): Promise<PreparedRun[] | string> {
      const readOut = (make: () => Tensor) => () => Promise.resolve(noGrad(make).dataSync() as Float32Array);
      if (workload.matmul) {
        const { size, a, b } = workload.matmul;
        const left = tensor(a, { shape: [size, size] });
        const right = tensor(b, { shape: [size, size] });
        return Promise.resolve([{ variant: 'cpu', run: readOut(() => matmul(left, right)) }]);
      }
      if (workload.attention) {
        const { length, depth } = workload.attention;
        const [query, key, value] = [workload.attention.query, workload.attention.key, workload.attention.value].map((data) => tensor(data, { shape: [1, length, depth] }));
        return Promise.resolve([
          { variant: 'memory-efficient', run: readOut(() => memoryEfficientAttention(query, key, value)) },
          { variant: 'full (sdpa)', run: readOut(() => scaledDotProductAttention(query, key, value)) },
        ]);
      }
      if (workload.lstm) {
        const inputs = workload.lstm;
        const layer = lstmLayer(inputs);
        const x = tensor(inputs.input, { shape: [inputs.batch, inputs.steps, inputs.inputSize] });
        return Promise.resolve([{ variant: 'cpu', run: readOut(() => layer.forward(x).output) }]);
      }
      const training = workload.training;
      if (training?.lstm) {
        const layer = lstmLayer(training.lstm);
        const x = tensor(training.input, { shape: [training.batch, training.length, training.width] });
        return Promise.resolve([trainingRun('cpu', layer, () => layer.forward(x).output)]);
      }
      if (training?.attention) {
        const { width } = training;
        const weights = training.attention;
        const x = tensor(training.input, { shape: [training.batch, training.length, width] });
        const runs = (
          [
            ['memory-efficient', (q, k, v) => memoryEfficientAttention(q, k, v, { causal: true })],
            ['full (sdpa)', (q, k, v) => scaledDotProductAttention(q, k, v, { causal: true })],
          ] as [string, Core][]
        ).map(([variant, core]) => {
          const layer = new AttentionLayer(width, core);
          layer.loadStateDict({
            'inProj.weight': tensor(weights.inWeight, { shape: [3 * width, width] }),
            'inProj.bias': tensor(weights.inBias, { shape: [3 * width] }),
            'outProj.weight': tensor(weights.outWeight, { shape: [width, width] }),
            'outProj.bias': tensor(weights.outBias, { shape: [width] }),
          });
          return trainingRun(variant, layer, () => layer.forward(x));
        });
        return Promise.resolve(runs);
      }
      return Promise.resolve('not implemented for this workload');
    },
  };
}
