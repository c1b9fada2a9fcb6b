/**
 * Selective copying (Gu & Dao 2023, "Mamba", after the copy task of Arjovsky et al. 2016): the
 * n data tokens sit at random positions among blanks, and after a delimiter the model writes
 * them back in order. Unlike plain copying, where to look depends on the content, not a fixed
 * offset. Tokens are one-hot: 0 blank, 1…K data, K+1 delimiter.
 *
 * Layout for total length T: positions 0…T−n−2 hold the data tokens (at sorted random
 * positions) among blanks, T−n−1 is the delimiter, the last n positions are where answers are read.
 */
import type { Generator } from '@heed/tensor';
import { memorylessClassifier } from './baselines.js';
import { checkLength, emptyBatch, sampleDistinct, setFeature, type SymbolTaskOptions, type Task, type TaskBatch } from './task.js';

/** Options of the task: `symbols` (n) data tokens from an alphabet of `alphabet` (K). */
export type SelectiveCopyingOptions = SymbolTaskOptions;

/**
 * Creates the selective copying task.
 *
 * @example
 * ```ts
 * const batch = selectiveCopyingTask({ symbols: 4 }).generate(32, 32, new Generator(1));
 * ```
 */
export function selectiveCopyingTask(options: SelectiveCopyingOptions = {}): Task {
  const symbols = options.symbols ?? 4;
  const alphabet = options.alphabet ?? 8;
  const delimiter = alphabet + 1;
  const task: Task = {
    name: 'selective',
    title: `Selective copying (${symbols} symbols of ${alphabet})`,
    source: 'Gu & Dao 2023 "Mamba" (arXiv:2312.00752), after Arjovsky, Shah & Bengio 2016',
    kind: 'classification',
    features: alphabet + 2,
    classes: alphabet,
    metric: 'accuracy',
    minLength: 2 * symbols + 1,
    generate(batchSize: number, length: number, generator: Generator): TaskBatch {
      checkLength(task, length);
      const region = length - symbols - 1;
      const batch = emptyBatch('classification', batchSize, length, task.features, symbols);
      for (let b = 0; b < batchSize; b++) {
        const positions = sampleDistinct(region, symbols, generator).sort((x, y) => x - y);
        const tokenAt = new Int32Array(length);
        positions.forEach((position, index) => {
          const symbol = generator.nextInt(0, alphabet);
          tokenAt[position] = symbol + 1;
          batch.targets[b * symbols + index] = symbol;
        });
        tokenAt[region] = delimiter;
        for (let t = 0; t < length; t++) setFeature(batch, b, t, tokenAt[t], 1);
      }
      return batch;
    },
    baseline: (evaluation, training) => memorylessClassifier(evaluation, training, alphabet),
  };
  return task;
}
