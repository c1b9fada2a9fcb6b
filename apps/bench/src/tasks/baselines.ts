/**
 * Trivial baselines, computed by running them: the "memoryless" class prior (the best a model
 * that ignores the input can do on a classification task) and a constant answer for regression.
 */
import type { BaselineResult, TaskBatch } from './task.js';

/** Accuracy of predictions against a batch's class targets. */
export function accuracy(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  if (predictions.length !== targets.length) throw new RangeError(`accuracy: ${predictions.length} predictions for ${targets.length} targets`);
  if (targets.length === 0) return NaN;
  let correct = 0;
  for (let index = 0; index < targets.length; index++) if (predictions[index] === targets[index]) correct++;
  return correct / targets.length;
}

/** Mean squared error of predictions against regression targets. */
export function meanSquaredError(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  if (predictions.length !== targets.length) throw new RangeError(`mse: ${predictions.length} predictions for ${targets.length} targets`);
  if (targets.length === 0) return NaN;
  let total = 0;
  for (let index = 0; index < targets.length; index++) total += (predictions[index] - targets[index]) ** 2;
  return total / targets.length;
}

/** Class frequencies of the targets at each answer position, `[answers][classes]`. */
function classCounts(batch: TaskBatch, classes: number): number[][] {
  const counts = Array.from({ length: batch.answers }, () => new Array<number>(classes).fill(0));
  for (let b = 0; b < batch.batch; b++) {
    for (let a = 0; a < batch.answers; a++) counts[a][batch.targets[b * batch.answers + a]]++;
  }
  return counts;
}

/**
 * The memoryless baseline: at each answer position, always answer the class that was most
 * frequent there in `training`. It knows the output distribution but nothing of the input, so
 * with uniform symbols it scores about 1/K. Also reports the cross-entropy of the per-position
 * class prior on `evaluation` (nats per answer), the figure the copy-task literature quotes.
 */
export function memorylessClassifier(evaluation: TaskBatch, training: TaskBatch, classes: number): BaselineResult {
  const trainingCounts = classCounts(training, classes);
  const guess = trainingCounts.map((row) => row.indexOf(Math.max(...row)));
  const predictions = new Int32Array(evaluation.batch * evaluation.answers);
  for (let b = 0; b < evaluation.batch; b++) {
    for (let a = 0; a < evaluation.answers; a++) predictions[b * evaluation.answers + a] = guess[a];
  }
  // Cross-entropy of the training prior (add-one smoothed) on the evaluation targets.
  let crossEntropy = 0;
  for (let b = 0; b < evaluation.batch; b++) {
    for (let a = 0; a < evaluation.answers; a++) {
      const row = trainingCounts[a];
      const total = row.reduce((sum, count) => sum + count, 0) + classes;
      crossEntropy -= Math.log((row[evaluation.targets[b * evaluation.answers + a]] + 1) / total);
    }
  }
  return {
    name: 'memoryless (most frequent class)',
    score: accuracy(predictions, evaluation.targets),
    extra: { name: 'memoryless cross-entropy (nats/answer)', value: crossEntropy / (evaluation.batch * evaluation.answers) },
  };
}

/** A constant answer `value` for every regression target. */
export function constantRegressor(evaluation: TaskBatch, value: number): BaselineResult {
  return {
    name: `always answer ${value}`,
    score: meanSquaredError(new Float32Array(evaluation.targets.length).fill(value), evaluation.targets),
  };
}
