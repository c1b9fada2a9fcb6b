/**
 * The training loop the learning and gradient suites share: fresh seeded batches every step,
 * Adam with a short warm-up and cosine decay, gradient clipping, and evaluation on a fixed
 * held-out set with the same metric the baseline is scored with.
 */
import { Adam, Generator, clipGradNorm, crossEntropy, mseLoss, noGrad, tensor, type Tensor } from '@heed/tensor';
import type { SequenceModel } from '../models/sequence-models.js';
import { accuracy, meanSquaredError } from '../tasks/baselines.js';
import type { Task, TaskBatch } from '../tasks/task.js';
import { convergence, timeToTarget, type Convergence, type CurvePoint, type Target } from './convergence.js';

/** How to train. */
export interface TrainOptions {
  steps: number;
  batch: number;
  learningRate: number;
  gradientClip: number;
  /** Record the loss every this many steps. */
  lossEvery: number;
  /** Seed of the training data stream. */
  dataSeed: number;
  /** The score whose first crossing is timed (see {@link timeToTarget}). */
  target?: Target;
  /** Called after each step (progress). */
  onStep?: (step: number, loss: number | null) => void;
}

/** What training produced. */
export interface TrainResult {
  steps: number;
  seconds: number;
  finalLoss: number;
  /** Loss and training-batch score every `lossEvery` steps, with the wall time. */
  curve: CurvePoint[];
  convergence: Convergence;
  /** When the window score first met `target` (null: not within the budget, or no target). */
  reached: { step: number; seconds: number } | null;
}

/** The score of outputs `[B, A, C]` against a batch's targets: accuracy (argmax) or MSE. */
export function batchScore(task: Task, outputs: Float32Array, batch: TaskBatch): number {
  const rows = batch.batch * batch.answers;
  if (task.kind === 'regression') {
    let total = 0;
    for (let row = 0; row < rows; row++) total += (outputs[row] - batch.targets[row]) ** 2;
    return total / rows;
  }
  let correct = 0;
  for (let row = 0; row < rows; row++) {
    let best = 0;
    for (let c = 1; c < task.classes; c++) if (outputs[row * task.classes + c] > outputs[row * task.classes + best]) best = c;
    if (best === batch.targets[row]) correct++;
  }
  return correct / rows;
}

/** A batch's inputs as a `[B, T, F]` tensor. */
export function inputsOf(batch: TaskBatch, requiresGrad = false): Tensor {
  return tensor(batch.inputs, { shape: [batch.batch, batch.length, batch.features], requiresGrad });
}

/** The loss of a model's outputs `[B, A, C]` against a batch's targets. */
export function taskLoss(task: Task, outputs: Tensor, batch: TaskBatch): Tensor {
  const rows = batch.batch * batch.answers;
  if (task.kind === 'classification') {
    return crossEntropy(outputs.reshape([rows, task.classes]), tensor(batch.targets, { dtype: 'int32', shape: [rows] }));
  }
  return mseLoss(outputs.reshape([rows]), tensor(batch.targets, { shape: [rows] }));
}

/** Learning rate at `step`: linear warm-up over the first 5% of steps, then cosine decay to 10%. */
export function learningRateAt(step: number, steps: number, peak: number): number {
  const warmup = Math.max(1, Math.round(steps * 0.05));
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const progress = (step - warmup) / Math.max(1, steps - warmup);
  return peak * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}

/**
 * Trains `model` on `task` at sequence length `length`.
 *
 * @example
 * ```ts
 * const result = train(model, addingProblemTask(), 32, { steps: 200, batch: 32, learningRate: 1e-2, gradientClip: 1, lossEvery: 10, dataSeed: 7, target: { metric: 'mse', value: 0.05 } });
 * result.convergence.status; // 'converged' or 'still-improving'
 * ```
 */
export function train(model: SequenceModel, task: Task, length: number, options: TrainOptions): TrainResult {
  const generator = new Generator(options.dataSeed);
  const parameters = model.module.parameters();
  const optimizer = new Adam(parameters, { lr: options.learningRate });
  const curve: CurvePoint[] = [];
  model.module.train();
  const started = performance.now();
  let finalLoss = NaN;
  let losses: number[] = [];
  let scores: number[] = [];
  for (let step = 0; step < options.steps; step++) {
    const batch = task.generate(options.batch, length, generator);
    const outputs = model.forward(inputsOf(batch), batch.answers);
    const loss = taskLoss(task, outputs, batch);
    optimizer.lr = learningRateAt(step, options.steps, options.learningRate);
    optimizer.zeroGrad();
    loss.backward();
    if (options.gradientClip > 0) clipGradNorm(parameters, options.gradientClip);
    optimizer.step();
    const value = loss.item();
    losses.push(value);
    scores.push(batchScore(task, outputs.dataSync() as Float32Array, batch));
    if ((step + 1) % options.lossEvery === 0 || step === options.steps - 1) {
      const average = (list: number[]): number => list.reduce((total, item) => total + item, 0) / list.length;
      curve.push({ step: step + 1, loss: average(losses), score: average(scores), seconds: (performance.now() - started) / 1000 });
      finalLoss = average(losses);
      losses = [];
      scores = [];
    }
    options.onStep?.(step + 1, value);
  }
  model.module.eval();
  return {
    steps: options.steps,
    seconds: (performance.now() - started) / 1000,
    finalLoss,
    curve,
    convergence: convergence(curve, options.steps),
    reached: options.target ? timeToTarget(curve, options.target) : null,
  };
}

/** The model's score on `evaluation` (accuracy or MSE, as the task's metric), in chunks of `chunk` sequences. */
export function evaluate(model: SequenceModel, task: Task, evaluation: TaskBatch, chunk = 128): number {
  const predictions: number[] = [];
  model.module.eval();
  noGrad(() => {
    for (let start = 0; start < evaluation.batch; start += chunk) {
      const count = Math.min(chunk, evaluation.batch - start);
      const stride = evaluation.length * evaluation.features;
      const part: TaskBatch = {
        ...evaluation,
        batch: count,
        inputs: evaluation.inputs.subarray(start * stride, (start + count) * stride),
      };
      const outputs = model.forward(inputsOf(part), evaluation.answers).dataSync() as Float32Array;
      if (task.kind === 'regression') {
        predictions.push(...outputs);
        continue;
      }
      for (let row = 0; row < count * evaluation.answers; row++) {
        let best = 0;
        for (let c = 1; c < task.classes; c++) if (outputs[row * task.classes + c] > outputs[row * task.classes + best]) best = c;
        predictions.push(best);
      }
    }
  });
  return task.metric === 'accuracy' ? accuracy(predictions, evaluation.targets) : meanSquaredError(predictions, evaluation.targets);
}
