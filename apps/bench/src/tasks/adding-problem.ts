/**
 * The adding problem (Hochreiter & Schmidhuber 1997; in the form of Le, Jaitly & Hinton 2015
 * and Arjovsky, Shah & Bengio 2016). Each position carries a value drawn from U(0, 1) and a
 * marker; exactly two positions are marked, one in each half of the sequence, and the answer
 * (read at the last position) is the sum of the two marked values. Answering 1 whatever the
 * input gives MSE Var(u₁ + u₂) = 1/6 ≈ 0.167: the baseline a model must beat.
 */
import type { Generator } from '@heed/tensor';
import { constantRegressor } from './baselines.js';
import { checkLength, emptyBatch, setFeature, type Task, type TaskBatch } from './task.js';

/**
 * Creates the adding problem. Features: 0 = value, 1 = marker.
 *
 * @example
 * ```ts
 * const batch = addingProblemTask().generate(32, 50, new Generator(1)); // inputs [32, 50, 2], targets [32, 1]
 * ```
 */
export function addingProblemTask(): Task {
  const task: Task = {
    name: 'adding',
    title: 'Adding problem',
    source: 'Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015; Arjovsky, Shah & Bengio 2016',
    kind: 'regression',
    features: 2,
    classes: 1,
    metric: 'mse',
    minLength: 2,
    generate(batchSize: number, length: number, generator: Generator): TaskBatch {
      checkLength(task, length);
      const batch = emptyBatch('regression', batchSize, length, 2, 1);
      const half = Math.floor(length / 2);
      for (let b = 0; b < batchSize; b++) {
        const values = new Float32Array(length);
        for (let t = 0; t < length; t++) {
          values[t] = generator.nextFloat();
          setFeature(batch, b, t, 0, values[t]);
        }
        const first = generator.nextInt(0, half);
        const second = generator.nextInt(half, length);
        setFeature(batch, b, first, 1, 1);
        setFeature(batch, b, second, 1, 1);
        batch.targets[b] = values[first] + values[second];
      }
      return batch;
    },
    baseline: (evaluation) => constantRegressor(evaluation, 1),
  };
  return task;
}
