/**
 * One training run of the learning suite as a self-contained job (task, length, model, seed):
 * it builds the data, the model and the evaluation set from seeds alone, so a job gives the
 * same result in the suite's thread or in a training worker thread.
 */
import { Generator, tensor, type Tensor } from '@heed/tensor';
import type { LearnConfig } from '../config.js';
import { buildSequenceModel, type SequenceModel, type SequenceModelKind } from '../models/sequence-models.js';
import type { LearnRow } from '../results.js';
import { deriveSeed } from '../run/context.js';
import { addingProblemTask, associativeRecallTask, copyMemoryTask, listOpsTask, recallPairs, selectiveCopyingTask, type Task, type TaskName } from '../tasks/index.js';
import { evaluate, train } from '../training/train.js';

/** What one job trains. */
export interface LearnJob {
  task: TaskName;
  length: number;
  kind: SequenceModelKind;
  seedIndex: number;
  baseSeed: number;
  config: LearnConfig;
  /** The trivial baseline's score on the job's evaluation set (computed once per task and length). */
  baseline: { name: string; score: number };
  /** Send the trained weights back (the gradient suite reuses these models). */
  keepWeights: boolean;
}

/** Weights as plain arrays (they cross thread boundaries). */
export type PlainWeights = Record<string, { shape: number[]; data: Float32Array }>;

/** A finished job. */
export interface LearnJobResult {
  row: LearnRow;
  description: string;
  weights?: PlainWeights;
}

/** The key vocabulary associative recall needs for the longest configured length. */
export function recallKeysFor(config: LearnConfig): number {
  const lengths = config.tasks.find((entry) => entry.name === 'recall')?.lengths ?? [];
  return Math.max(config.recallKeys, ...lengths.map((length) => recallPairs(length, { queries: config.recallQueries, pairsPerLength: config.recallPairsPerLength })));
}

/** The task objects a preset asks for. */
export function learnTasks(config: LearnConfig): Record<TaskName, Task> {
  return {
    copy: copyMemoryTask({ symbols: config.copySymbols }),
    adding: addingProblemTask(),
    recall: associativeRecallTask({ keys: recallKeysFor(config), values: config.recallValues, queries: config.recallQueries, pairsPerLength: config.recallPairsPerLength }),
    selective: selectiveCopyingTask({ symbols: config.selectiveSymbols }),
    listops: listOpsTask(),
  };
}

/**
 * Whether `score` beats `baseline` clearly: accuracy at least 5 points above it, or MSE below
 * 80% of it (a model that merely learned the output distribution stays inside these margins).
 */
export function beatsBaseline(metric: 'accuracy' | 'mse', score: number, baseline: number): boolean {
  return metric === 'accuracy' ? score >= baseline + 0.05 : score <= baseline * 0.8;
}

/**
 * The seed a model's initial weights come from (the gradient suite rebuilds the same initial
 * model). The four transformers share one: their parameters are the same, so they start from
 * identical weights and differ only in the attention core.
 */
export function modelSeedFor(base: number, task: string, length: number, kind: string, seedIndex = 0): number {
  const family = kind.startsWith('transformer-') ? 'transformer' : kind;
  return seedIndex === 0 ? deriveSeed(base, 'model', task, length, family) : deriveSeed(base, 'model', task, length, family, seedIndex);
}

/** The seed of a task's training data stream at one length and seed index (the same for every model). */
export function dataSeedFor(base: number, task: string, length: number, seedIndex = 0): number {
  return seedIndex === 0 ? deriveSeed(base, 'data', task, length) : deriveSeed(base, 'data', task, length, seedIndex);
}

/** The seed of a task's held-out evaluation sequences at one length (shared by every model and seed). */
export function evaluationSeedFor(base: number, task: string, length: number): number {
  return deriveSeed(base, 'evaluation', task, length);
}

/** Builds the model a job trains (also used to rebuild it from weights). */
export function buildJobModel(job: Pick<LearnJob, 'task' | 'length' | 'kind' | 'seedIndex' | 'baseSeed' | 'config'>, task: Task = learnTasks(job.config)[job.task]): SequenceModel {
  return buildSequenceModel(job.kind, {
    features: task.features,
    classes: task.classes,
    targetParameters: job.config.targetParameters,
    window: job.config.window,
    generator: new Generator(modelSeedFor(job.baseSeed, job.task, job.length, job.kind, job.seedIndex)),
  });
}

/** Copies a model's weights into plain arrays. */
export function plainWeights(model: SequenceModel): PlainWeights {
  const weights: PlainWeights = {};
  for (const [name, value] of Object.entries(model.module.stateDict())) {
    weights[name] = { shape: [...value.shape], data: Float32Array.from(value.dataSync() as Float32Array) };
  }
  return weights;
}

/** Loads plain weights into a model built by {@link buildJobModel}. */
export function loadPlainWeights(model: SequenceModel, weights: PlainWeights): void {
  const state: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(weights)) state[name] = tensor(value.data, { shape: value.shape });
  model.module.loadStateDict(state);
}

/** Runs one job: trains, evaluates on the held-out set, reads the curve. */
export function runLearnJob(job: LearnJob, onStep?: (step: number) => void): LearnJobResult {
  const config = job.config;
  const task = learnTasks(config)[job.task];
  const model = buildJobModel(job, task);
  const parameters = model.module.parameters().reduce((total, parameter) => total + parameter.size, 0);
  const target = { metric: task.metric, value: config.targets[job.task] };
  const outcome = train(model, task, job.length, {
    steps: config.steps,
    batch: config.batch,
    learningRate: config.learningRate,
    gradientClip: config.gradientClip,
    lossEvery: config.lossEvery,
    dataSeed: dataSeedFor(job.baseSeed, job.task, job.length, job.seedIndex),
    target,
    onStep,
  });
  const evaluation = task.generate(config.evaluationSize, job.length, new Generator(evaluationSeedFor(job.baseSeed, job.task, job.length)));
  const score = evaluate(model, task, evaluation);
  const row: LearnRow = {
    task: task.name,
    length: job.length,
    model: model.name,
    kind: job.kind,
    seedIndex: job.seedIndex,
    parameters,
    hidden: model.hidden,
    metric: task.metric,
    score,
    baseline: job.baseline.score,
    baselineName: job.baseline.name,
    beatsBaseline: beatsBaseline(task.metric, score, job.baseline.score),
    steps: outcome.steps,
    seconds: outcome.seconds,
    finalLoss: outcome.finalLoss,
    curve: outcome.curve,
    convergence: outcome.convergence,
    target,
    reached: outcome.reached,
    seed: modelSeedFor(job.baseSeed, job.task, job.length, job.kind, job.seedIndex),
  };
  return { row, description: model.description, ...(job.keepWeights ? { weights: plainWeights(model) } : {}) };
}
