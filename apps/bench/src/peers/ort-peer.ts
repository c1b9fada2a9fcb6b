/**
 * onnxruntime-node (native, with its bundled Linux binary) in the peers suite. The models are
 * written in memory by `onnx-model.ts`: the graph PyTorch exports for attention and the
 * standard LSTM operator, plus onnxruntime's fused MultiHeadAttention. onnxruntime-node runs
 * inference only, so it has no training-step rows.
 */
import type * as Ort from 'onnxruntime-node';
import { attentionModel, fusedAttentionModel, lstmModel, matmulModel, pytorchToOnnxGates } from './onnx-model.js';
import type { Peer, PreparedRun } from './peer.js';
import { timeMajorToBatchFirst, type Workload } from './workloads.js';

type OrtModule = typeof Ort;

/** onnxruntime-node with default session options (all cores for intra-op parallelism). */
export function onnxRuntimePeer(): Peer {
  let ort: OrtModule | null = null;
  const sessions: Ort.InferenceSession[] = [];
  const session = async (bytes: Uint8Array): Promise<Ort.InferenceSession> => {
    if (!ort) throw new Error('onnxruntime-node is not loaded');
    const created = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
    sessions.push(created);
    return created;
  };
  const output = async (created: Ort.InferenceSession, feeds: Record<string, Ort.Tensor>, name: string): Promise<Float32Array> => {
    const result = await created.run(feeds);
    return result[name].data as Float32Array;
  };
  return {
    library: 'onnxruntime-node',
    async load() {
      const module = (await import('onnxruntime-node')) as OrtModule & { default?: OrtModule };
      ort = module.InferenceSession ? module : (module.default ?? module);
      // Load the native binding now, so a broken binary is reported as the library being unavailable.
      await session(matmulModel(2));
    },
    async prepare(workload: Workload): Promise<PreparedRun[] | string> {
      const runtime = ort;
      if (!runtime) return 'not loaded';
      const floats = (data: Float32Array, dims: number[]) => new runtime.Tensor('float32', data, dims);
      if (workload.matmul) {
        const { size, a, b } = workload.matmul;
        const created = await session(matmulModel(size));
        const feeds = { a: floats(a, [size, size]), b: floats(b, [size, size]) };
        return [{ variant: 'native', run: () => output(created, feeds, 'c') }];
      }
      if (workload.attention) {
        const { length, depth, query, key, value } = workload.attention;
        const feeds = { query: floats(query, [1, length, depth]), key: floats(key, [1, length, depth]), value: floats(value, [1, length, depth]) };
        const composed = await session(attentionModel(length, depth));
        const runs: PreparedRun[] = [{ variant: 'MatMul+Softmax graph', run: () => output(composed, feeds, 'output') }];
        try {
          const fused = await session(fusedAttentionModel(length, depth));
          runs.push({ variant: 'fused MultiHeadAttention', run: () => output(fused, feeds, 'output') });
        } catch {
          // Older builds lack the contrib operator on CPU; the composed graph still runs.
        }
        return runs;
      }
      if (workload.lstm) {
        const inputs = workload.lstm;
        const { batch, steps, inputSize, hidden } = inputs;
        const bias = new Float32Array(8 * hidden);
        bias.set(pytorchToOnnxGates(inputs.biasIh, hidden, 1), 0);
        bias.set(pytorchToOnnxGates(inputs.biasHh, hidden, 1), 4 * hidden);
        const created = await session(
          lstmModel(steps, batch, inputSize, hidden, {
            w: pytorchToOnnxGates(inputs.weightIh, hidden, inputSize),
            r: pytorchToOnnxGates(inputs.weightHh, hidden, hidden),
            b: bias,
          }),
        );
        // ONNX's LSTM is time-major: [T, B, I] in, [T, 1, B, H] out.
        const feeds = { x: floats(timeMajor(inputs.input, batch, steps, inputSize), [steps, batch, inputSize]) };
        return [{ variant: 'native', run: async () => timeMajorToBatchFirst(await output(created, feeds, 'y'), steps, batch, hidden) }];
      }
      return 'onnxruntime-node runs inference only (no training API in Node)';
    },
    async close() {
      for (const created of sessions.splice(0)) await created.release();
    },
  };
}

/** `[B, T, I]` → `[T, B, I]`. */
function timeMajor(data: Float32Array, batch: number, steps: number, width: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) out.set(data.subarray((b * steps + t) * width, (b * steps + t + 1) * width), (t * batch + b) * width);
  }
  return out;
}
