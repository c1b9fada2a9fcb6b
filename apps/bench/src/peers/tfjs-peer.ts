/**
 * TensorFlow.js in the peers suite, on its `cpu` (plain JavaScript) and `wasm` backends, written
 * as a TF.js user would: `tf.matMul`/`tf.softmax` for attention, `tf.layers.lstm` for the LSTM,
 * `tf.variableGrads` + `tf.train.adam` for training steps. Weights are loaded from the same
 * PyTorch-layout arrays as heed's (Keras gate order i, f, c, o equals PyTorch's i, f, g, o).
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as TfLayers from '@tensorflow/tfjs-layers';
import type { Peer, PreparedRun } from './peer.js';
import type { LstmInputs, Workload } from './workloads.js';

type Tf = typeof TfCore;

/** `[rows, columns]` row-major → its transpose. */
function transpose(data: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = data[r * columns + c];
  return out;
}

let loaded: { tf: Tf; layers: typeof TfLayers } | null = null;

async function loadTf(): Promise<{ tf: Tf; layers: typeof TfLayers }> {
  if (loaded) return loaded;
  const tf = await import('@tensorflow/tfjs-core');
  // The backends register themselves when imported; the layers API adds tf.layers.
  await import('@tensorflow/tfjs-backend-cpu');
  await import('@tensorflow/tfjs-backend-wasm');
  const layers = await import('@tensorflow/tfjs-layers');
  loaded = { tf, layers };
  return loaded;
}

function lstmLayer(layers: typeof TfLayers, tf: Tf, inputs: Omit<LstmInputs, 'input' | 'batch' | 'steps'>, sample: TfCore.Tensor) {
  const layer = layers.layers.lstm({
    units: inputs.hidden,
    returnSequences: true,
    recurrentActivation: 'sigmoid',
    kernelInitializer: 'zeros',
    recurrentInitializer: 'zeros',
  });
  tf.tidy(() => {
    layer.apply(sample);
  });
  const bias = new Float32Array(4 * inputs.hidden);
  for (let index = 0; index < bias.length; index++) bias[index] = inputs.biasIh[index] + inputs.biasHh[index];
  layer.setWeights([
    tf.tensor2d(transpose(inputs.weightIh, 4 * inputs.hidden, inputs.inputSize), [inputs.inputSize, 4 * inputs.hidden]),
    tf.tensor2d(transpose(inputs.weightHh, 4 * inputs.hidden, inputs.hidden), [inputs.hidden, 4 * inputs.hidden]),
    tf.tensor1d(bias),
  ]);
  return layer;
}

/** TensorFlow.js on `backend` (`cpu` or `wasm`). */
export function tfjsPeer(backend: 'cpu' | 'wasm'): Peer {
  const disposables: TfCore.Tensor[] = [];
  const keep = <T extends TfCore.Tensor>(tensor: T): T => {
    disposables.push(tensor);
    return tensor;
  };
  return {
    library: `tfjs-${backend}`,
    async load() {
      const { tf } = await loadTf();
      if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
      await tf.ready();
    },
    async prepare(workload: Workload): Promise<PreparedRun[] | string> {
      const { tf, layers } = await loadTf();
      await tf.setBackend(backend);
      const read = (make: () => TfCore.Tensor) => (): Promise<Float32Array> => {
        const result = tf.tidy(make);
        const data = result.dataSync() as Float32Array;
        result.dispose();
        return Promise.resolve(data);
      };
      if (workload.matmul) {
        const { size, a, b } = workload.matmul;
        const left = keep(tf.tensor2d(a, [size, size]));
        const right = keep(tf.tensor2d(b, [size, size]));
        return [{ variant: backend, run: read(() => tf.matMul(left, right)) }];
      }
      if (workload.attention) {
        const { length, depth } = workload.attention;
        const [query, key, value] = [workload.attention.query, workload.attention.key, workload.attention.value].map((data) => keep(tf.tensor3d(data, [1, length, depth])));
        const scale = 1 / Math.sqrt(depth);
        return [{ variant: backend, run: read(() => tf.matMul(tf.softmax(tf.mul(tf.matMul(query, key, false, true), scale)), value)) }];
      }
      if (workload.lstm) {
        const inputs = workload.lstm;
        const x = keep(tf.tensor3d(inputs.input, [inputs.batch, inputs.steps, inputs.inputSize]));
        const layer = lstmLayer(layers, tf, inputs, x);
        return [{ variant: backend, run: read(() => layer.apply(x) as TfCore.Tensor) }];
      }
      const training = workload.training;
      if (training) {
        const { batch, length, width } = training;
        const x = keep(tf.tensor3d(training.input, [batch, length, width]));
        const optimizer = tf.train.adam(1e-3);
        let forward: () => TfCore.Tensor;
        if (training.lstm) {
          const layer = lstmLayer(layers, tf, training.lstm, x);
          forward = () => layer.apply(x) as TfCore.Tensor;
        } else if (training.attention) {
          const weights = training.attention;
          const inWeight = tf.variable(tf.tensor2d(transpose(weights.inWeight, 3 * width, width), [width, 3 * width]));
          const inBias = tf.variable(tf.tensor1d(weights.inBias));
          const outWeight = tf.variable(tf.tensor2d(transpose(weights.outWeight, width, width), [width, width]));
          const outBias = tf.variable(tf.tensor1d(weights.outBias));
          disposables.push(inWeight, inBias, outWeight, outBias);
          // Causal mask as an additive bias: 0 on and below the diagonal, -1e9 above.
          const causal = keep(tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([length, length]), -1, 0)), -1e9)));
          const scale = 1 / Math.sqrt(width);
          forward = () => {
            const projected = tf.add(tf.matMul(tf.reshape(x, [batch * length, width]), inWeight), inBias);
            const [query, key, value] = tf.split(tf.reshape(projected, [batch, length, 3 * width]), 3, 2);
            const scores = tf.add(tf.mul(tf.matMul(query, key, false, true), scale), causal);
            const attended = tf.matMul(tf.softmax(scores), value);
            return tf.add(tf.matMul(tf.reshape(attended, [batch * length, width]), outWeight), outBias);
          };
        } else {
          return 'no model for this training workload';
        }
        return [
          {
            variant: backend,
            run: () => {
              const { value, grads } = tf.variableGrads(() => tf.mean<TfCore.Scalar>(tf.square(forward())));
              optimizer.applyGradients(grads as unknown as Parameters<typeof optimizer.applyGradients>[0]);
              const loss = value.dataSync() as Float32Array;
              value.dispose();
              tf.dispose(Object.values(grads));
              return Promise.resolve(loss);
            },
            dispose: () => optimizer.dispose(),
          },
        ];
      }
      return 'not implemented for this workload';
    },
    close() {
      for (const tensor of disposables.splice(0)) tensor.dispose();
      return Promise.resolve();
    },
  };
}
