/**
 * The two presets. `quick` (the default) covers every suite at small sizes and stays around
 * three minutes on a 2-core machine; `full` goes to long sequences, trains longer and runs the
 * peers at issue 8's target sizes. Every figure in the report is measured with these settings,
 * and the results file records them.
 */
import type { Preset } from './cli/args.js';

/** Settings of the speed and memory suite. */
export interface SpeedConfig {
  /** Sequence lengths (batch 1). */
  lengths: number[];
  /** Lengths for gpu.js modes (software renderers here: slow). */
  gpuLengths: number[];
  /** What the gpu.js modes run: forward only, or forward and training step. */
  gpuModes: ('forward' | 'train')[];
  /** Timing for the gpu.js modes. */
  gpuTiming: { warmup: number; minRepeats: number; maxRepeats: number; budgetMs: number };
  width: number;
  batch: number;
  /** Keys before (and including) each query for local-window attention. */
  window: number;
  /** Skip a length when the fitted curve predicts a call longer than this (seconds). */
  maxCallSeconds: number;
  /** Skip full attention's training step above this length (its n×n activations). */
  fullAttentionTrainMaxLength: number;
  timing: { warmup: number; minRepeats: number; maxRepeats: number; budgetMs: number };
}

/** Settings of the learning suite. */
export interface LearnConfig {
  tasks: { name: 'copy' | 'adding' | 'recall' | 'selective'; lengths: number[] }[];
  copySymbols: number;
  selectiveSymbols: number;
  recallKeys: number;
  recallValues: number;
  recallQueries: number;
  steps: number;
  batch: number;
  learningRate: number;
  evaluationSize: number;
  gradientClip: number;
  /** Parameter count every model is sized to (hidden width chosen to come closest). */
  targetParameters: number;
  /** Record the training loss every this many steps. */
  lossEvery: number;
}

/** Settings of the gradient-flow suite. */
export interface GradientConfig {
  length: number;
  /** Training steps for the "after training" curves when the learning suite did not train the models. */
  steps: number;
}

/** Settings of the peers suite. */
export interface PeersConfig {
  matmulSize: number;
  attentionLength: number;
  attentionDepth: number;
  lstm: { hidden: number; batch: number; steps: number };
  /** Also time batch 1 (per-step overhead). */
  lstmBatchOne: boolean;
  /** Training-step comparison: LSTM and attention layers at this length. */
  training: { length: number; batch: number; width: number };
  /** Whether these are issue 8's target sizes (the targets table says so when not). */
  targetSizes: boolean;
  /** Workloads a library skips in this preset (too slow for it), with the reason shown. */
  skip: { library: string; workloads: string[]; reason: string }[];
  /** Peers slower than this (seconds per call, from their first run) are timed once. */
  slowCallSeconds: number;
  timing: { warmup: number; minRepeats: number; maxRepeats: number; budgetMs: number };
}

/** One preset. */
export interface PresetConfig {
  speed: SpeedConfig;
  learn: LearnConfig;
  gradients: GradientConfig;
  peers: PeersConfig;
}

const quick: PresetConfig = {
  speed: {
    lengths: [128, 256, 512, 1024],
    gpuLengths: [128, 256],
    gpuModes: ['forward'],
    gpuTiming: { warmup: 1, minRepeats: 1, maxRepeats: 3, budgetMs: 200 },
    width: 64,
    batch: 1,
    window: 64,
    maxCallSeconds: 4,
    fullAttentionTrainMaxLength: 4096,
    timing: { warmup: 1, minRepeats: 3, maxRepeats: 15, budgetMs: 300 },
  },
  learn: {
    tasks: [
      { name: 'adding', lengths: [8, 24] },
      { name: 'recall', lengths: [8, 12] },
      { name: 'copy', lengths: [12] },
      { name: 'selective', lengths: [16] },
    ],
    copySymbols: 4,
    selectiveSymbols: 4,
    recallKeys: 16,
    recallValues: 8,
    recallQueries: 4,
    steps: 250,
    batch: 16,
    learningRate: 2e-2,
    evaluationSize: 256,
    gradientClip: 1,
    targetParameters: 4000,
    lossEvery: 10,
  },
  gradients: { length: 24, steps: 250 },
  peers: {
    matmulSize: 1024,
    attentionLength: 2048,
    attentionDepth: 64,
    lstm: { hidden: 128, batch: 16, steps: 128 },
    lstmBatchOne: true,
    training: { length: 64, batch: 8, width: 64 },
    targetSizes: false,
    skip: [
      {
        library: 'tfjs-cpu',
        workloads: ['matmul', 'attention', 'lstm', 'train-lstm', 'train-attention'],
        reason: 'too slow for --quick (plain-JS backend); --full measures it',
      },
    ],
    slowCallSeconds: 1,
    timing: { warmup: 1, minRepeats: 2, maxRepeats: 5, budgetMs: 400 },
  },
};

const full: PresetConfig = {
  speed: {
    lengths: [128, 256, 512, 1024, 2048, 4096, 8192, 16384],
    gpuLengths: [128, 256, 512, 1024],
    gpuModes: ['forward', 'train'],
    gpuTiming: { warmup: 1, minRepeats: 2, maxRepeats: 7, budgetMs: 1000 },
    width: 64,
    batch: 1,
    window: 64,
    maxCallSeconds: 60,
    fullAttentionTrainMaxLength: 8192,
    timing: { warmup: 1, minRepeats: 3, maxRepeats: 15, budgetMs: 2000 },
  },
  learn: {
    tasks: [
      { name: 'adding', lengths: [8, 24, 64, 128] },
      { name: 'recall', lengths: [8, 12, 20, 36] },
      { name: 'copy', lengths: [12, 24, 48] },
      { name: 'selective', lengths: [16, 32, 64] },
    ],
    copySymbols: 4,
    selectiveSymbols: 4,
    recallKeys: 32,
    recallValues: 8,
    recallQueries: 4,
    steps: 1000,
    batch: 16,
    learningRate: 1e-2,
    evaluationSize: 512,
    gradientClip: 1,
    targetParameters: 4000,
    lossEvery: 25,
  },
  gradients: { length: 128, steps: 1000 },
  peers: {
    matmulSize: 1024,
    attentionLength: 4096,
    attentionDepth: 64,
    lstm: { hidden: 128, batch: 16, steps: 1024 },
    lstmBatchOne: true,
    training: { length: 1024, batch: 8, width: 64 },
    targetSizes: true,
    skip: [],
    slowCallSeconds: 3,
    timing: { warmup: 1, minRepeats: 3, maxRepeats: 10, budgetMs: 2000 },
  },
};

/** The settings of `preset`. */
export function presetConfig(preset: Preset): PresetConfig {
  return structuredClone(preset === 'full' ? full : quick);
}
