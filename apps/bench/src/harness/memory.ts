/**
 * Peak memory of a synchronous call. JavaScript cannot look at memory while its own thread is
 * busy, so a watcher thread samples the process's resident set size every few milliseconds and
 * keeps the highest value; the main thread resets it before a call and reads it after.
 * `process.memoryUsage().arrayBuffers` (typed-array storage, which is where tensors live) is
 * read before and after as a second, exact-but-GC-dependent figure.
 */
import { Worker } from 'node:worker_threads';

const WATCHER_SOURCE = `
const { workerData } = require('node:worker_threads');
const words = new Int32Array(workerData.buffer);
// words[0]: peak RSS in KiB; words[1]: reset request (1 = reset pending); words[2]: stop.
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const read = () => Math.round(process.memoryUsage.rss() / 1024);
while (Atomics.load(words, 2) === 0) {
  const rss = read();
  if (Atomics.load(words, 1) === 1) {
    Atomics.store(words, 0, rss);
    Atomics.store(words, 1, 0);
    Atomics.notify(words, 1);
  } else if (rss > Atomics.load(words, 0)) {
    Atomics.store(words, 0, rss);
  }
  Atomics.wait(sleeper, 0, 0, workerData.intervalMs);
}
`;

/** Samples the process's peak resident memory from a watcher thread. */
export class MemorySampler {
  readonly #words: Int32Array;
  readonly #worker: Worker;
  #ready: Promise<void>;

  private constructor(intervalMs: number) {
    const buffer = new SharedArrayBuffer(12);
    this.#words = new Int32Array(buffer);
    this.#worker = new Worker(WATCHER_SOURCE, { eval: true, workerData: { buffer, intervalMs }, execArgv: [] });
    this.#ready = new Promise((resolve, reject) => {
      this.#worker.once('online', () => {
        // Started: it must not keep the process alive on its own.
        this.#worker.unref();
        resolve();
      });
      this.#worker.once('error', reject);
    });
  }

  /** Starts a watcher thread sampling every `intervalMs` milliseconds. */
  static async start(intervalMs = 2): Promise<MemorySampler> {
    const sampler = new MemorySampler(intervalMs);
    await sampler.#ready;
    return sampler;
  }

  /** Sets the peak to the current RSS and waits until the watcher has done so. */
  reset(): void {
    Atomics.store(this.#words, 1, 1);
    // The watcher clears the flag within one interval; wait at most 200 ms.
    Atomics.wait(this.#words, 1, 1, 200);
  }

  /** The highest RSS seen since the last reset, in bytes. */
  peakBytes(): number {
    return Atomics.load(this.#words, 0) * 1024;
  }

  /** Stops the watcher thread. */
  async stop(): Promise<void> {
    Atomics.store(this.#words, 2, 1);
    await this.#worker.terminate();
  }
}

/** Runs a full garbage collection when node was started with `--expose-gc` (the app's start script does). */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/** Whether `collectGarbage` really collects (false: memory figures include uncollected garbage). */
export function canCollectGarbage(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

/** Memory used by one call, in bytes above the level just before it. */
export interface MemoryFigures {
  /** Highest resident set size during the call, above the level after a GC just before it. */
  peakRssBytes: number | null;
  /** Typed-array storage still allocated right after the call (before any GC), above the baseline. */
  arrayBufferBytes: number;
  /** Bytes of every buffer the backend allocated during the call (with an allocation counter). */
  allocatedBytes: number | null;
}

/** Counts a backend's allocations (see `countingBackend`). */
export interface AllocationCounter {
  reset(): void;
  bytes(): number;
}

/**
 * Runs `fn` once and returns its memory figures. `fn` must be synchronous for the RSS peak to
 * mean "during the call"; an async `fn` is awaited and its peak includes whatever ran meanwhile.
 */
export async function measureMemory(fn: () => unknown, sampler: MemorySampler | null, counter: AllocationCounter | null = null): Promise<MemoryFigures> {
  collectGarbage();
  const before = process.memoryUsage();
  sampler?.reset();
  const baseRss = sampler ? sampler.peakBytes() : before.rss;
  counter?.reset();
  await fn();
  const allocatedBytes = counter ? counter.bytes() : null;
  const peak = sampler ? Math.max(0, sampler.peakBytes() - baseRss) : null;
  const after = process.memoryUsage();
  return { peakRssBytes: peak, arrayBufferBytes: Math.max(0, after.arrayBuffers - before.arrayBuffers), allocatedBytes };
}
