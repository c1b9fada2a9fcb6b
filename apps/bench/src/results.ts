/**
 * The results file's shape (`results.json`). Every figure the report shows comes from here, and
 * everything here was measured in the run that wrote it (the `published` section aside, which is
 * quoted and marked so).
 */
import type { BenchOptions, SuiteName } from './cli/args.js';
import type { LearnConfig } from './config.js';
import type { PowerLawFit } from './harness/fit.js';
import type { MachineInfo } from './harness/machine.js';
import type { PublishedResult } from './report/published.js';
import type { Convergence, CurvePoint, Target } from './training/convergence.js';

/** Version of this file's layout. */
export const RESULTS_SCHEMA = 'heed-bench/1';

/** A backend the speed suite tried, and why it was skipped when it was. */
export interface BackendStatus {
  name: string;
  available: boolean;
  reason?: string;
}

/** One speed/memory measurement. Times in ms, memory in bytes. */
export interface SpeedRow {
  backend: string;
  model: string;
  mode: 'forward' | 'train';
  length: number;
  batch: number;
  width: number;
  medianMs: number | null;
  minMs: number | null;
  samplesMs: number[];
  tokensPerSecond: number | null;
  peakRssBytes: number | null;
  arrayBufferBytes: number | null;
  /** Bytes of every tensor buffer the backend allocated during one call (CPU backend; null elsewhere). */
  allocatedBytes: number | null;
  /** The only sample was the warm-up run (a slow call). */
  includesWarmup?: boolean;
  /** Why this size was not measured (budget, memory, unsupported). */
  skipped?: string;
}

/** A fitted scaling exponent for one model, mode and figure. */
export interface SpeedFit extends PowerLawFit {
  backend: string;
  model: string;
  mode: 'forward' | 'train';
  /** `memory`: peak RSS (sizes where it reached 1 MiB); `allocated`: bytes allocated per call. */
  figure: 'time' | 'memory' | 'allocated';
}

/** The speed and memory suite. */
export interface SpeedResults {
  width: number;
  batch: number;
  lengths: number[];
  /** Lengths and modes the gpu.js backends ran (they are slower: software renderers here). */
  gpu: { lengths: number[]; modes: ('forward' | 'train')[] };
  backends: BackendStatus[];
  models: { name: string; description: string; parameters: number }[];
  rows: SpeedRow[];
  fits: SpeedFit[];
  /** One training step of each learning-suite model (its sizes and batch), CPU backend. */
  learnSteps?: LearnStepRow[];
  notes: string[];
}

/** A training step (forward, loss, backward, clipping, Adam) of a learning-suite model. Times in ms. */
export interface LearnStepRow {
  model: string;
  length: number;
  batch: number;
  hidden: number;
  parameters: number;
  medianMs: number;
  samplesMs: number[];
}

/** One trained model on one task at one length and seed. */
export interface LearnRow {
  task: string;
  length: number;
  /** Display name (`lstm`, `transformer (local w=64)`, …). */
  model: string;
  kind: string;
  /** 0, 1, 2, …: which of the preset's seeds. */
  seedIndex: number;
  parameters: number;
  hidden: number;
  metric: 'accuracy' | 'mse';
  score: number;
  baseline: number;
  baselineName: string;
  /** Whether the score beats the baseline by the task's margin. */
  beatsBaseline: boolean;
  steps: number;
  seconds: number;
  finalLoss: number;
  /** Training loss and training-batch score every few steps, with the wall time. */
  curve: CurvePoint[];
  convergence: Convergence;
  /** The task's target and when training first met it (null: not within `steps`). */
  target: Target;
  reached: { step: number; seconds: number } | null;
  /** Set when this model was not trained itself but shares the named model's run (same math). */
  sharedWith?: string;
  seed: number;
}

/** Mean and spread of one model on one task and length over the seeds. */
export interface LearnSummary {
  task: string;
  length: number;
  model: string;
  kind: string;
  seeds: number;
  mean: number;
  /** Sample standard deviation over the seeds (0 for one seed). */
  spread: number;
  min: number;
  max: number;
  /** Seeds whose run converged / was still improving. */
  converged: number;
  stillImproving: number;
  /** Seeds that reached the target, and their mean time to it. */
  reached: number;
  meanSecondsToTarget: number | null;
  meanStepsToTarget: number | null;
  meanSeconds: number;
  steps: number;
  beatsBaseline: boolean;
  baseline: number;
  sharedWith?: string;
}

/** The learning suite. */
export interface LearnResults {
  /** The preset's learning settings (the whole `LearnConfig`: tasks, sizes, steps, optimiser). */
  config: LearnConfig;
  tasks: { name: string; title: string; source: string; metric: 'accuracy' | 'mse'; target: number; lengths: number[]; baselines: { length: number; name: string; score: number; extra?: { name: string; value: number } }[] }[];
  models: { name: string; kind: string; description: string; hidden: number }[];
  rows: LearnRow[];
  /** Per task, length and model: mean and spread over seeds (recomputed from `rows`). */
  summary: LearnSummary[];
  /** Wall time of the suite so far and the worker threads it trained on. */
  seconds: number;
  workers: number;
  notes: string[];
}

/** Gradient norms ‖∂loss/∂x_t‖ by distance from the last position (index 0 = the last position). */
export interface GradientRow {
  model: string;
  stage: 'init' | 'trained';
  task: string;
  /** Sequence length of this curve. */
  length: number;
  norms: number[];
  /** Trained-from-scratch steps behind the `trained` curve. */
  steps: number;
}

/** The gradient-flow suite. */
export interface GradientResults {
  task: string;
  /** Length of the after-training curves (init curves may have others: each row says). */
  length: number;
  rows: GradientRow[];
  notes: string[];
}

/** One peer (or heed) measurement of a workload. */
export interface PeerRow {
  workload: string;
  library: string;
  variant: string;
  medianMs: number | null;
  samplesMs: number[];
  /** Work per run in floating-point operations, where defined (matmul). */
  flops?: number;
  peakRssBytes?: number | null;
  /** Largest relative difference from heed's output on the same inputs (checks both did the same work). */
  maxRelativeDifference?: number | null;
  /** How it was measured when not the usual way (e.g. a single timed run). */
  note?: string;
  skipped?: string;
}

/** heed against one peer on one workload: how many times faster heed is (>1 = heed faster). */
export interface PeerRatio {
  workload: string;
  peer: string;
  heedMs: number;
  peerMs: number;
  speedup: number;
}

/** One of issue 8's targets, measured. */
export interface TargetCheck {
  id: string;
  description: string;
  measured: number | null;
  target: number;
  /** Whether `measured` must be at least (`>=`) or at most (`<=`) the target. */
  direction: '>=' | '<=';
  unit: string;
  met: boolean | null;
  detail: string;
}

/** The peers suite. */
export interface PeerResults {
  workloads: { name: string; description: string }[];
  libraries: { name: string; version: string | null; available: boolean; reason?: string }[];
  rows: PeerRow[];
  ratios: PeerRatio[];
  targets: TargetCheck[];
  /** Whether the workloads ran at issue 8's sizes (matmul 1024, attention L = 4096, LSTM T = 1024). */
  targetSizes: boolean;
  notes: string[];
}

/** The whole results file. */
export interface BenchResults {
  schema: typeof RESULTS_SCHEMA;
  status: 'running' | 'complete' | 'interrupted' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  durationSeconds: number | null;
  command: string;
  options: Pick<BenchOptions, 'preset' | 'suites' | 'backends' | 'seed'> & { learn?: BenchOptions['learn'] };
  machine: MachineInfo;
  versions: Record<string, string | null>;
  /** Which suites finished; an interrupted run lists the ones that did. */
  completedSuites: SuiteName[];
  /** Wall-clock seconds each finished suite took. */
  suiteSeconds: Partial<Record<SuiteName, number>>;
  speed?: SpeedResults;
  learn?: LearnResults;
  gradients?: GradientResults;
  peers?: PeerResults;
  published: PublishedResult[];
  errors: { suite: string; message: string }[];
  notes: string[];
}
