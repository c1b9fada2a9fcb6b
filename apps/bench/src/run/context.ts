/**
 * What every suite gets: the options, the preset's settings, progress, the memory sampler, and
 * a way to publish its results section after each measurement (so an interrupted run keeps
 * everything measured so far).
 */
import type { SequenceModel } from '../models/sequence-models.js';
import type { BenchOptions } from '../cli/args.js';
import type { ProgressReporter } from '../cli/progress.js';
import type { PresetConfig } from '../config.js';
import type { MemorySampler } from '../harness/memory.js';
import type { BenchResults } from '../results.js';
import type { SectionName } from './messages.js';

/** A model the learning suite trained, kept for the gradient suite, with the seed it was initialised from. */
export interface TrainedModel {
  model: SequenceModel;
  task: string;
  length: number;
  steps: number;
  seed: number;
}

/** Everything a suite needs. */
export interface SuiteContext {
  options: BenchOptions;
  config: PresetConfig;
  progress: ProgressReporter;
  sampler: MemorySampler | null;
  /** Replaces the suite's section of the results with `data` (call after each measurement). */
  publish<K extends SectionName>(name: K, data: NonNullable<BenchResults[K]>): void;
  /** Adds a run-wide note (e.g. "gpu.js headlessgl unavailable: …"). */
  note(message: string): void;
  /** Models trained by the learning suite, keyed `task:length:model`. */
  trained: Map<string, TrainedModel>;
}

/** Lets the event loop run (messages, timers) between measurements. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Derives a per-purpose seed from the run's base seed (stable, well spread). */
export function deriveSeed(base: number, ...parts: (string | number)[]): number {
  let hash = (base ^ 0x811c9dc5) >>> 0;
  for (const part of parts.join('/')) {
    hash ^= part.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
