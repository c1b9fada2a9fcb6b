/**
 * The work every library in the peers suite does, with the same seeded inputs and weights:
 * a square matmul, one attention forward, an LSTM forward (batch B and batch 1), and training
 * steps of an LSTM layer and an attention layer. Weights are in PyTorch's layout; each peer
 * converts them to its own.
 */
import { Generator } from '@heed/tensor';
import type { PeersConfig } from '../config.js';

/** Which computation. */
export type WorkloadKind = 'matmul' | 'attention' | 'lstm' | 'lstm-batch1' | 'train-lstm' | 'train-attention';

/** Inputs and sizes of one workload. */
export interface Workload {
  kind: WorkloadKind;
  name: string;
  description: string;
  /** Floating-point operations per run (matmul only). */
  flops?: number;
  matmul?: { size: number; a: Float32Array; b: Float32Array };
  attention?: { length: number; depth: number; query: Float32Array; key: Float32Array; value: Float32Array };
  lstm?: LstmInputs;
  training?: TrainingInputs;
}

/** An LSTM forward: input `[B, T, I]` (batch first) and PyTorch-layout weights. */
export interface LstmInputs {
  batch: number;
  steps: number;
  inputSize: number;
  hidden: number;
  input: Float32Array;
  weightIh: Float32Array;
  weightHh: Float32Array;
  biasIh: Float32Array;
  biasHh: Float32Array;
}

/**
 * A training step: `model(x)` → mean of squares → backward → one Adam update (lr 1e-3).
 * For `train-attention` the model is a causal single-head attention layer with a fused q/k/v
 * projection `[3W, W]` and an output projection `[W, W]` (PyTorch's Linear layout, `y = x Wᵀ + b`).
 */
export interface TrainingInputs {
  batch: number;
  length: number;
  width: number;
  input: Float32Array;
  /** LSTM weights (train-lstm). */
  lstm?: Omit<LstmInputs, 'input' | 'batch' | 'steps'>;
  /** Attention layer weights (train-attention). */
  attention?: { inWeight: Float32Array; inBias: Float32Array; outWeight: Float32Array; outBias: Float32Array };
}

function uniformArray(size: number, bound: number, generator: Generator): Float32Array {
  const out = new Float32Array(size);
  for (let index = 0; index < size; index++) out[index] = (generator.nextFloat() * 2 - 1) * bound;
  return out;
}

function normalArray(size: number, generator: Generator): Float32Array {
  const out = new Float32Array(size);
  for (let index = 0; index < size; index++) out[index] = generator.nextNormal();
  return out;
}

function lstmInputs(batch: number, steps: number, hidden: number, generator: Generator): LstmInputs {
  const bound = 1 / Math.sqrt(hidden);
  return {
    batch,
    steps,
    inputSize: hidden,
    hidden,
    input: normalArray(batch * steps * hidden, generator),
    weightIh: uniformArray(4 * hidden * hidden, bound, generator),
    weightHh: uniformArray(4 * hidden * hidden, bound, generator),
    biasIh: uniformArray(4 * hidden, bound, generator),
    biasHh: uniformArray(4 * hidden, bound, generator),
  };
}

/** Builds every workload of a preset from one seed. */
export function buildWorkloads(config: PeersConfig, seed: number): Workload[] {
  const generator = new Generator(seed);
  const n = config.matmulSize;
  const { attentionLength: length, attentionDepth: depth } = config;
  const { hidden, batch, steps } = config.lstm;
  const training = config.training;
  const width = training.width;
  const bound = 1 / Math.sqrt(width);
  const workloads: Workload[] = [
    {
      kind: 'matmul',
      name: `matmul ${n}×${n}×${n}`,
      description: `C = A·B for ${n}×${n} float32 matrices`,
      flops: 2 * n * n * n,
      matmul: { size: n, a: normalArray(n * n, generator), b: normalArray(n * n, generator) },
    },
    {
      kind: 'attention',
      name: `attention forward L=${length} d=${depth}`,
      description: `softmax(q·kᵀ/√d)·v for one head, L = S = ${length}, d = ${depth}, no mask`,
      attention: { length, depth, query: normalArray(length * depth, generator), key: normalArray(length * depth, generator), value: normalArray(length * depth, generator) },
    },
    {
      kind: 'lstm',
      name: `LSTM forward h${hidden} b${batch} T=${steps}`,
      description: `one LSTM layer, input ${hidden}, hidden ${hidden}, batch ${batch}, ${steps} steps`,
      lstm: lstmInputs(batch, steps, hidden, generator),
    },
  ];
  if (config.lstmBatchOne) {
    workloads.push({
      kind: 'lstm-batch1',
      name: `LSTM forward h${hidden} b1 T=${steps}`,
      description: `one LSTM layer, input ${hidden}, hidden ${hidden}, batch 1, ${steps} steps (per-step overhead)`,
      lstm: lstmInputs(1, steps, hidden, generator),
    });
  }
  const { input: _unused, batch: _b, steps: _s, ...lstmWeights } = lstmInputs(1, 1, width, generator);
  workloads.push(
    {
      kind: 'train-lstm',
      name: `training step: LSTM h${width} b${training.batch} T=${training.length}`,
      description: `LSTM layer (${width}→${width}), mean-square loss, backward, Adam update`,
      training: { batch: training.batch, length: training.length, width, input: normalArray(training.batch * training.length * width, generator), lstm: lstmWeights },
    },
    {
      kind: 'train-attention',
      name: `training step: attention d${width} b${training.batch} T=${training.length}`,
      description: `causal single-head attention layer (q/k/v and output projections, width ${width}), mean-square loss, backward, Adam update`,
      training: {
        batch: training.batch,
        length: training.length,
        width,
        input: normalArray(training.batch * training.length * width, generator),
        attention: {
          inWeight: uniformArray(3 * width * width, bound, generator),
          inBias: uniformArray(3 * width, bound, generator),
          outWeight: uniformArray(width * width, bound, generator),
          outBias: uniformArray(width, bound, generator),
        },
      },
    },
  );
  return workloads;
}

/** Largest |a − b| over max |reference| (0 when both are zero). */
export function maxRelativeDifference(reference: Float32Array, other: Float32Array): number {
  if (reference.length !== other.length) return Infinity;
  let scale = 0;
  let worst = 0;
  for (let index = 0; index < reference.length; index++) {
    scale = Math.max(scale, Math.abs(reference[index]));
    worst = Math.max(worst, Math.abs(reference[index] - other[index]));
  }
  return scale === 0 ? worst : worst / scale;
}

/** `[T, B, H]` (or `[T, 1, B, H]`) → `[B, T, H]`. */
export function timeMajorToBatchFirst(data: Float32Array, steps: number, batch: number, hidden: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batch; b++) out.set(data.subarray((t * batch + b) * hidden, (t * batch + b + 1) * hidden), (b * steps + t) * hidden);
  }
  return out;
}
