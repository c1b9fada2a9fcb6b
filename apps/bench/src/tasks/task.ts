/**
 * The shape every synthetic task shares: a batch of input features `[B, T, F]` and targets at
 * the last `M` positions (`M` answers per sequence). Classification targets are class indices,
 * regression targets are numbers. Generators are seeded, so a (task, length, seed) triple always
 * gives the same data.
 */
import type { Generator } from '@heed/tensor';

/** The tasks of the learning suite. */
export type TaskName = 'copy' | 'adding' | 'recall' | 'selective' | 'listops';
/** Every task name, in report order. */
export const TASK_NAMES: readonly TaskName[] = ['copy', 'adding', 'recall', 'selective', 'listops'];

/** One generated batch. `inputs` is row-major `[batch, length, features]`. */
export interface TaskBatch {
  batch: number;
  length: number;
  features: number;
  inputs: Float32Array;
  /** How many answers per sequence, read from the model's last `answers` positions. */
  answers: number;
  /** `[batch, answers]`: class indices (classification) or values (regression). */
  targets: Int32Array | Float32Array;
}

/** A task from the literature, at a length the caller picks. */
export interface Task {
  name: TaskName;
  title: string;
  /** Where the task comes from, for the report. */
  source: string;
  kind: 'classification' | 'regression';
  /** Input features per position. */
  features: number;
  /** Output classes (1 for regression). */
  classes: number;
  /** `accuracy` (higher is better) or `mse` (lower is better), scored on the answer positions. */
  metric: 'accuracy' | 'mse';
  /** The shortest sequence this task can be made at. */
  minLength: number;
  /** Makes `batch` sequences of total length `length`. */
  generate(batch: number, length: number, generator: Generator): TaskBatch;
  /**
   * The trivial baseline's score on `evaluation`, computed by running the baseline predictor
   * (fitted on `training` where it needs fitting): never a typed-in constant.
   */
  baseline(evaluation: TaskBatch, training: TaskBatch): BaselineResult;
}

/** A trivial predictor's score and what it is. */
export interface BaselineResult {
  name: string;
  score: number;
  /** A second figure the literature quotes (e.g. the copy task's cross-entropy), where there is one. */
  extra?: { name: string; value: number };
}

/** Options of the two copying tasks. */
export interface SymbolTaskOptions {
  /** Data symbols to copy (n). */
  symbols?: number;
  /** Alphabet size (K). */
  alphabet?: number;
}

/** Sets `inputs[b, t, f] = value`. */
export function setFeature(batch: TaskBatch, b: number, t: number, f: number, value: number): void {
  batch.inputs[(b * batch.length + t) * batch.features + f] = value;
}

/** An empty batch with zeroed inputs and targets. */
export function emptyBatch(kind: Task['kind'], batch: number, length: number, features: number, answers: number): TaskBatch {
  return {
    batch,
    length,
    features,
    answers,
    inputs: new Float32Array(batch * length * features),
    targets: kind === 'classification' ? new Int32Array(batch * answers) : new Float32Array(batch * answers),
  };
}

/** `count` distinct integers from [0, range), in random order (partial Fisher–Yates). */
export function sampleDistinct(range: number, count: number, generator: Generator): number[] {
  if (count > range) throw new RangeError(`cannot draw ${count} distinct values from ${range}`);
  const pool = Array.from({ length: range }, (_, index) => index);
  for (let index = 0; index < count; index++) {
    const pick = generator.nextInt(index, range);
    [pool[index], pool[pick]] = [pool[pick], pool[index]];
  }
  return pool.slice(0, count);
}

/** Checks a requested length against a task's minimum, with a message naming both. */
export function checkLength(task: Pick<Task, 'name' | 'minLength'>, length: number): void {
  if (!Number.isInteger(length) || length < task.minLength) {
    throw new RangeError(`${task.name}: length must be an integer ≥ ${task.minLength}, got ${length}`);
  }
}
