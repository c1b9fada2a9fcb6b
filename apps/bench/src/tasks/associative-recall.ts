/**
 * Multi-query associative recall (Ba et al. 2016 "Using Fast Weights to Attend to the Recent
 * Past"; multi-query form from Arora et al. 2023 "Zoology"). A sequence lists key→value pairs,
 * then asks for the values of several keys it listed. Recalling them needs memory that grows
 * with the number of pairs: attention can look the key up, a fixed-size recurrent state must
 * compress every pair.
 *
 * Unlike Zoology, where a key and its value are two tokens (so attention needs two layers), a
 * pair here is one token (the key's one-hot plus the value's one-hot), which a single attention
 * layer can look up; a query token is the key's one-hot plus a query flag. Length T holds
 * T − Q pairs and Q queries by default; with `pairsPerLength` (Zoology's sweeps keep the pairs
 * a fixed fraction of T, e.g. T/8) it holds ⌊T · pairsPerLength⌋ pairs, then blank positions,
 * then the Q queries at the end. Keys within a sequence are distinct.
 */
import type { Generator } from '@heed/tensor';
import { memorylessClassifier } from './baselines.js';
import { checkLength, emptyBatch, sampleDistinct, setFeature, type Task, type TaskBatch } from './task.js';

/** Options of {@link associativeRecallTask}. */
export interface AssociativeRecallOptions {
  /** Key vocabulary; the number of pairs can be at most this. */
  keys?: number;
  /** Value vocabulary (the classes). */
  values?: number;
  /** Queries per sequence (Q). */
  queries?: number;
  /** Pairs as a fraction of the length (default: every position before the queries). */
  pairsPerLength?: number;
}

/** The number of key–value pairs a sequence of `length` holds under `options`. */
export function recallPairs(length: number, options: Pick<AssociativeRecallOptions, 'queries' | 'pairsPerLength'> = {}): number {
  const queries = options.queries ?? 4;
  return options.pairsPerLength === undefined ? length - queries : Math.max(queries, Math.min(length - queries, Math.floor(length * options.pairsPerLength)));
}

/**
 * Creates the multi-query associative recall task. Features: keys, then values, then a query flag.
 *
 * @example
 * ```ts
 * const task = associativeRecallTask({ keys: 64, values: 8, queries: 4 });
 * const batch = task.generate(32, 36, new Generator(1)); // 32 pairs then 4 queries
 * associativeRecallTask({ keys: 64, pairsPerLength: 1 / 8 }).generate(32, 256, new Generator(1)); // 32 pairs, blanks, 4 queries
 * ```
 */
export function associativeRecallTask(options: AssociativeRecallOptions = {}): Task {
  const keys = options.keys ?? 64;
  const values = options.values ?? 8;
  const queries = options.queries ?? 4;
  const queryFlag = keys + values;
  const task: Task = {
    name: 'recall',
    title: `Multi-query associative recall (${options.pairsPerLength ? `T/${Math.round(1 / options.pairsPerLength)} pairs, ` : ''}${queries} queries, ${values} values)`,
    source: 'Ba et al. 2016 (NeurIPS); Arora et al. 2023 "Zoology" (arXiv:2312.04927)',
    kind: 'classification',
    features: keys + values + 1,
    classes: values,
    metric: 'accuracy',
    minLength: 2 * queries,
    generate(batchSize: number, length: number, generator: Generator): TaskBatch {
      checkLength(task, length);
      const pairs = recallPairs(length, options);
      if (pairs > keys) throw new RangeError(`recall: ${pairs} pairs need at least ${pairs} keys, the vocabulary has ${keys}`);
      const batch = emptyBatch('classification', batchSize, length, task.features, queries);
      for (let b = 0; b < batchSize; b++) {
        const listed = sampleDistinct(keys, pairs, generator);
        const valueOf = listed.map(() => generator.nextInt(0, values));
        listed.forEach((key, t) => {
          setFeature(batch, b, t, key, 1);
          setFeature(batch, b, t, keys + valueOf[t], 1);
        });
        const asked = sampleDistinct(pairs, queries, generator);
        const first = length - queries;
        asked.forEach((pair, q) => {
          setFeature(batch, b, first + q, listed[pair], 1);
          setFeature(batch, b, first + q, queryFlag, 1);
          batch.targets[b * queries + q] = valueOf[pair];
        });
      }
      return batch;
    },
    baseline: (evaluation, training) => memorylessClassifier(evaluation, training, values),
  };
  return task;
}
