/**
 * Messages between the main thread (terminal, Ctrl-C, report files) and the worker thread that
 * runs the suites. Keeping the measurements off the main thread means Ctrl-C is answered at
 * once, even in the middle of a 30-second measurement.
 */
import type { BenchOptions, SuiteName } from '../cli/args.js';
import type { BenchResults } from '../results.js';

/** The result sections a suite fills. */
export type SectionName = 'speed' | 'learn' | 'gradients' | 'peers';

/** What the worker sends. */
export type WorkerMessage =
  | { type: 'progress-start'; id: number; label: string; total: number }
  | { type: 'progress-tick'; id: number; detail?: string; steps?: number }
  | { type: 'progress-note'; id: number; detail: string }
  | { type: 'progress-done'; id: number; summary?: string }
  | { type: 'log'; message: string }
  | { type: 'section'; name: SectionName; data: NonNullable<BenchResults[SectionName]> }
  | { type: 'note'; message: string }
  | { type: 'suite-done'; suite: SuiteName; seconds: number }
  | { type: 'suite-error'; suite: SuiteName; message: string }
  | { type: 'finished' };

/** What the main thread sends to start the worker. */
export interface WorkerInput {
  options: BenchOptions;
}
