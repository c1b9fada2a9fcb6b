/**
 * The two presets. `quick` (the default) covers every suite at small sizes and stays around
 * three minutes on a 2-core machine; `full` goes to long sequences, trains longer and runs the
 * peers at issue 8's target sizes. Every figure in the report is measured with these settings,
 * and the results file records them.
 */
import type { LearnOverrides, Preset } from './cli/args.js';
import type { SequenceModelKind } from './models/sequence-models.js';
import type { TaskName } from './tasks/task.js';

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
  /** Training steps (forward, loss, backward, Adam) of the learning suite's models at its batch and sizes, at these lengths. */
  learnStepLengths: number[];
  learnStepTiming: { warmup: number; minRepeats: number; maxRepeats: number; budgetMs: number };
}

/** Settings of the learning suite. */
export interface LearnConfig {
  tasks: { name: TaskName; lengths: number[] }[];
  /** The models, in table order. */
  models: SequenceModelKind[];
  /**
   * Models shown with another model's runs instead of training their own, from length `from`
   * on. The Transformer layers' dense core runs the fused attention kernel whenever the weights
   * are not needed (as in training here), so full and memory-efficient attention are the same
   * computation from the same initial weights, bit for bit (a test in @heed/attention checks
   * it): both presets train one and report it under both names (marked ≡).
   */
  sharedRuns: Partial<Record<SequenceModelKind, { with: SequenceModelKind; from: number }>>;
  /** Independent runs (seeds) per model, task and length; tables give the mean and spread. */
  seeds: number;
  /** Keys each query sees in the local-window transformer. */
  window: number;
  copySymbols: number;
  selectiveSymbols: number;
  /** Key vocabulary of associative recall (raised to the pairs the longest length needs). */
  recallKeys: number;
  recallValues: number;
  recallQueries: number;
  /** Key–value pairs per position of associative recall (Zoology's sweeps: pairs grow with T at a fixed fraction). */
  recallPairsPerLength: number;
  steps: number;
  batch: number;
  learningRate: number;
  evaluationSize: number;
  gradientClip: number;
  /** Parameter count every model is sized to, without the input weights (hidden width chosen to come closest). */
  targetParameters: number;
  /** Record the training loss every this many steps. */
  lossEvery: number;
  /** The score timed by "time to accuracy": accuracy to reach (classification), or MSE to get under (adding). */
  targets: Record<TaskName, number>;
  /** Worker threads that train in parallel (0: one per core). */
  workers: number;
}

/** Settings of the gradient-flow suite. */
export interface GradientConfig {
  /** Length of the "after training" curves when the learning suite did not train adding models. */
  length: number;
  /** Training steps for the "after training" curves when the learning suite did not train the models. */
  steps: number;
  /** Lengths of the at-initialisation curves (the longest adding length the learning suite trained is added). */
  initLengths: number[];
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

/** Every learner, in table order. */
const ALL_MODELS: SequenceModelKind[] = ['rnn', 'lstm', 'gru', 'transformer-full', 'transformer-memory-efficient', 'transformer-local', 'transformer-linear'];

/**
 * Targets of "time to accuracy": 90 % on the copying and recall tasks (solved, well above the
 * 1/K baselines), MSE 0.05 on the adding problem (under a third of the always-1 baseline's
 * 1/6), and 35 % on ListOps (about where LRA's Transformers end, 36–37 %).
 */
const TARGETS: Record<TaskName, number> = { copy: 0.9, adding: 0.05, recall: 0.9, selective: 0.9, listops: 0.35 };

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
    learnStepLengths: [1024],
    learnStepTiming: { warmup: 1, minRepeats: 1, maxRepeats: 3, budgetMs: 300 },
  },
  learn: {
    tasks: [
      { name: 'copy', lengths: [64, 128, 256] },
      { name: 'adding', lengths: [64, 128, 256] },
      { name: 'recall', lengths: [64, 128, 256] },
      { name: 'selective', lengths: [64, 128, 256] },
      { name: 'listops', lengths: [128] },
    ],
    models: ALL_MODELS,
    sharedRuns: { 'transformer-full': { with: 'transformer-memory-efficient', from: 0 } },
    seeds: 1,
    window: 64,
    copySymbols: 4,
    selectiveSymbols: 4,
    recallKeys: 16,
    recallValues: 8,
    recallQueries: 4,
    recallPairsPerLength: 1 / 8,
    steps: 120,
    batch: 8,
    learningRate: 1e-2,
    evaluationSize: 96,
    gradientClip: 1,
    targetParameters: 3000,
    lossEvery: 4,
    targets: TARGETS,
    workers: 0,
  },
  gradients: { length: 256, steps: 120, initLengths: [256] },
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
    learnStepLengths: [256, 512, 1024],
    learnStepTiming: { warmup: 1, minRepeats: 3, maxRepeats: 5, budgetMs: 1000 },
  },
  learn: {
    tasks: [
      { name: 'copy', lengths: [64, 256, 1024] },
      { name: 'adding', lengths: [64, 256, 1024] },
      { name: 'recall', lengths: [64, 128, 256] },
      { name: 'selective', lengths: [256] },
      { name: 'listops', lengths: [256, 512] },
    ],
    models: ALL_MODELS,
    sharedRuns: { 'transformer-full': { with: 'transformer-memory-efficient', from: 0 } },
    seeds: 3,
    window: 64,
    copySymbols: 4,
    selectiveSymbols: 4,
    recallKeys: 16,
    recallValues: 8,
    recallQueries: 4,
    recallPairsPerLength: 1 / 8,
    steps: 200,
    batch: 8,
    learningRate: 1e-2,
    evaluationSize: 128,
    gradientClip: 1,
    targetParameters: 3000,
    lossEvery: 5,
    targets: TARGETS,
    workers: 0,
  },
  gradients: { length: 1024, steps: 200, initLengths: [256, 1024] },
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

const MODEL_KINDS: Record<string, SequenceModelKind> = {
  rnn: 'rnn',
  lstm: 'lstm',
  gru: 'gru',
  full: 'transformer-full',
  'memory-efficient': 'transformer-memory-efficient',
  local: 'transformer-local',
  linear: 'transformer-linear',
};

/**
 * The preset with the command line's learning-suite choices applied: only the chosen tasks and
 * models, the given lengths for every chosen task, and the given seeds, steps (also the gradient
 * suite's own training, when it has no learning-suite models to reuse) and threads. A
 * model shown with another's runs (`sharedRuns`) is trained itself when that other is not chosen.
 */
export function applyLearnOverrides(config: PresetConfig, overrides: LearnOverrides = {}): PresetConfig {
  const learn = config.learn;
  if (overrides.tasks) {
    const chosen = overrides.tasks;
    learn.tasks = chosen.map((name) => learn.tasks.find((entry) => entry.name === name) ?? { name, lengths: [128] });
  }
  if (overrides.lengths) learn.tasks = learn.tasks.map((entry) => ({ ...entry, lengths: [...overrides.lengths!] }));
  if (overrides.models) {
    learn.models = ALL_MODELS.filter((kind) => overrides.models!.some((name) => MODEL_KINDS[name] === kind));
    for (const [copy, share] of Object.entries(learn.sharedRuns) as [SequenceModelKind, { with: SequenceModelKind }][]) {
      if (!learn.models.includes(share.with) || !learn.models.includes(copy)) delete learn.sharedRuns[copy];
    }
  }
  if (overrides.seeds !== undefined) learn.seeds = overrides.seeds;
  if (overrides.steps !== undefined) {
    learn.steps = overrides.steps;
    config.gradients.steps = overrides.steps;
    learn.lossEvery = Math.max(1, Math.min(learn.lossEvery, Math.floor(overrides.steps / 20)));
  }
  if (overrides.workers !== undefined) learn.workers = overrides.workers;
  return config;
}
