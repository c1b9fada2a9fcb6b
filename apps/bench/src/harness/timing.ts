/**
 * The timing harness: warm-up runs, then repeats until a repeat count or a time budget is
 * reached, reporting the median (robust to the odd slow run on a shared machine) beside the
 * minimum and every sample.
 */
import { measureMemory, type AllocationCounter, type MemorySampler } from './memory.js';

/** How hard to measure one thing. */
export interface TimingOptions {
  /** Runs before timing starts (JIT, kernel caches, lazy allocation). Default 1. */
  warmup?: number;
  /** Timed runs at least (default 3) … */
  minRepeats?: number;
  /** … and at most (default 15). */
  maxRepeats?: number;
  /** Stop repeating once this much time went into timed runs (after `minRepeats`). Default 1500 ms. */
  budgetMs?: number;
  /**
   * A warm-up run slower than this makes the measurement a single timed run. Without it, a
   * warm-up run slower than `budgetMs` is itself the only sample (`includesWarmup`).
   */
  slowMs?: number;
  /** Measure memory during the first warm-up and the first timed run: peak RSS with this sampler (null: array buffers only; absent: no memory). */
  memory?: MemorySampler | null;
  /** Counts the backend's allocations during the memory runs. */
  allocations?: AllocationCounter | null;
  /** Called after each timed run (for progress bars). */
  onSample?: (ms: number) => void;
}

/** What one measurement found. Times in milliseconds, memory in bytes. */
export interface Measurement {
  medianMs: number;
  minMs: number;
  meanMs: number;
  samplesMs: number[];
  warmup: number;
  /** Only one timed run (the call was slow). */
  singleRun: boolean;
  /** The one sample is the warm-up run (it may include one-time costs). */
  includesWarmup: boolean;
  peakRssBytes: number | null;
  arrayBufferBytes: number | null;
  /** Bytes the backend allocated in one call (with `allocations`). */
  allocatedBytes: number | null;
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Times `fn` (sync or async): warm-up, then repeats until `minRepeats` are done and `budgetMs`
 * is spent (or `maxRepeats`), reporting the median. Slow calls get a single timed run (see
 * `slowMs`), so one large configuration cannot stall a run.
 *
 * @example
 * ```ts
 * const { medianMs } = await measure(() => model.forward(x), { minRepeats: 5 });
 * ```
 */
export async function measure(fn: () => unknown, options: TimingOptions = {}): Promise<Measurement> {
  const warmup = options.warmup ?? 1;
  const minRepeats = Math.max(1, options.minRepeats ?? 3);
  const maxRepeats = Math.max(minRepeats, options.maxRepeats ?? 15);
  const budgetMs = options.budgetMs ?? 1500;
  const withMemory = options.memory !== undefined;
  const samples: number[] = [];
  const peaks: number[] = [];
  const arrayBuffers: number[] = [];
  const allocated: number[] = [];
  let memoryRuns = 0;

  /** One run, timed; the first warm-up run and the first timed run also measure memory. */
  const runOnce = async (): Promise<number> => {
    if (!withMemory || memoryRuns >= 2) {
      const start = performance.now();
      await fn();
      return performance.now() - start;
    }
    memoryRuns++;
    let elapsed = 0;
    const figures = await measureMemory(() => {
      const start = performance.now();
      const result = fn();
      const finish = (): void => {
        elapsed = performance.now() - start;
      };
      if (result instanceof Promise) return result.then(finish);
      finish();
      return undefined;
    }, options.memory ?? null, options.allocations ?? null);
    if (figures.peakRssBytes !== null) peaks.push(figures.peakRssBytes);
    if (figures.allocatedBytes !== null) allocated.push(figures.allocatedBytes);
    arrayBuffers.push(figures.arrayBufferBytes);
    return elapsed;
  };

  let warmed = 0;
  let slow = false;
  let includesWarmup = false;
  while (warmed < warmup) {
    const elapsed = await runOnce();
    warmed++;
    if (options.slowMs !== undefined ? elapsed > options.slowMs : elapsed > budgetMs) {
      slow = true;
      if (options.slowMs === undefined) {
        samples.push(elapsed);
        includesWarmup = true;
        options.onSample?.(elapsed);
      }
      break;
    }
  }
  let spent = 0;
  const limit = slow ? 1 : maxRepeats;
  while (samples.length < limit) {
    if (!slow && samples.length >= minRepeats && spent >= budgetMs) break;
    const elapsed = await runOnce();
    samples.push(elapsed);
    spent += elapsed;
    options.onSample?.(elapsed);
  }
  return {
    medianMs: median(samples),
    minMs: Math.min(...samples),
    meanMs: samples.reduce((total, value) => total + value, 0) / samples.length,
    samplesMs: samples,
    warmup: warmed,
    singleRun: samples.length === 1,
    includesWarmup,
    // Other allocations only add to a run's figure, so the smallest is the closest to the call's own.
    peakRssBytes: peaks.length > 0 ? Math.min(...peaks) : null,
    arrayBufferBytes: arrayBuffers.length > 0 ? Math.min(...arrayBuffers) : null,
    allocatedBytes: allocated.length > 0 ? Math.min(...allocated) : null,
  };
}
