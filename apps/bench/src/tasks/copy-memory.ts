/**
 * The copy-memory task (Hochreiter & Schmidhuber 1997; in the form of Arjovsky, Shah & Bengio
 * 2016): read `symbols` data tokens, wait through a stretch of blanks, and after a delimiter
 * write the data tokens back in order. Tokens are one-hot: 0 blank, 1…K data, K+1 delimiter.
 *
 * Layout for total length T with n symbols: positions 0…n−1 hold the data, n…T−n−2 are blank,
 * T−n−1 is the delimiter, and the last n positions are blank inputs where the answers are read.
 */
import type { Generator } from '@heed/tensor';
import { memorylessClassifier } from './baselines.js';
import { checkLength, emptyBatch, setFeature, type SymbolTaskOptions, type Task, type TaskBatch } from './task.js';

/** Options of the task: `symbols` (n) data tokens from an alphabet of `alphabet` (K). */
export type CopyMemoryOptions = SymbolTaskOptions;

/**
 * Creates the copy-memory task.
 *
 * @example
 * ```ts
 * const task = copyMemoryTask({ symbols: 5 });
 * const batch = task.generate(32, 40, new Generator(1)); // inputs [32, 40, 10], targets [32, 5]
 * ```
 */
export function copyMemoryTask(options: CopyMemoryOptions = {}): Task {
  const symbols = options.symbols ?? 10;
  const alphabet = options.alphabet ?? 8;
  const delimiter = alphabet + 1;
  const task: Task = {
    name: 'copy',
    title: `Copy memory (${symbols} symbols of ${alphabet})`,
    source: 'Hochreiter & Schmidhuber 1997; Arjovsky, Shah & Bengio 2016 (ICML)',
    kind: 'classification',
    features: alphabet + 2,
    classes: alphabet,
    metric: 'accuracy',
    minLength: 2 * symbols + 1,
    generate(batchSize: number, length: number, generator: Generator): TaskBatch {
      checkLength(task, length);
      const batch = emptyBatch('classification', batchSize, length, task.features, symbols);
      for (let b = 0; b < batchSize; b++) {
        for (let t = 0; t < length; t++) {
          if (t < symbols) {
            const symbol = generator.nextInt(0, alphabet);
            setFeature(batch, b, t, symbol + 1, 1);
            batch.targets[b * symbols + t] = symbol;
          } else {
            setFeature(batch, b, t, t === length - symbols - 1 ? delimiter : 0, 1);
          }
        }
      }
      return batch;
    },
    baseline: (evaluation, training) => memorylessClassifier(evaluation, training, alphabet),
  };
  return task;
}
