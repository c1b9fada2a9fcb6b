import { CLOSED, Control, workerSource } from './worker-source.js';

/** The most chunks one parallel job may have (larger jobs run on the calling thread alone). */
export const MAX_CHUNKS = 0xfff0;

/** A chunk runner exported by the kernel module: `(argsPointer, chunkIndex, threadId)`. */
export type ChunkKernel = (args: number, chunk: number, thread: number) => void;

/** The few members of Node's and the browser's `Worker` the pool uses. */
interface PoolWorker {
  terminate(): unknown;
  unref?(): void;
}

interface NodeWorkerThreads {
  Worker: new (
    source: string,
    options: { eval: true; workerData: unknown },
  ) => PoolWorker & {
    on(event: 'message', listener: (message: { error?: string }) => void): void;
    on(event: 'error', listener: (error: Error) => void): void;
  };
}

interface ProcessWithBuiltins {
  versions?: { node?: string };
  getBuiltinModule?: (name: string) => unknown;
}

const nodeProcess = (globalThis as { process?: ProcessWithBuiltins }).process;
/** True in Node (and Node-compatible runtimes), where `worker_threads` gives the workers. */
export const isNode = typeof nodeProcess?.versions?.node === 'string';

/** Whether this thread may block in `Atomics.wait` (Node and workers yes, a browser's main thread no). */
export function canBlock(): boolean {
  if (isNode) return true;
  return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
}

/** Node's `worker_threads`, loaded synchronously where Node allows it, else asynchronously. */
function nodeWorkerThreads(): NodeWorkerThreads | Promise<NodeWorkerThreads> {
  const builtin = nodeProcess?.getBuiltinModule?.('node:worker_threads') as NodeWorkerThreads | undefined;
  if (builtin) return builtin;
  const specifier = 'node:worker_threads';
  return import(/* @vite-ignore */ specifier) as Promise<NodeWorkerThreads>;
}

/**
 * Worker threads over one shared `WebAssembly.Memory`, running chunked jobs of the kernel module.
 * The posting thread works too and claims whatever the workers have not, so a job never waits
 * for a worker to start: workers that are not ready yet simply take no chunks. Workers are
 * unref'd (they never keep Node alive) and started lazily on the first parallel job.
 */
export class ThreadPool {
  readonly #memory: WebAssembly.Memory;
  readonly #module: WebAssembly.Module;
  readonly #kernelNames: readonly string[];
  readonly #size: number;
  #workers: PoolWorker[] = [];
  #starting = false;
  /** The browser workers' script (a blob URL), released when the pool closes. */
  #workerUrl: string | null = null;
  readonly #control: Int32Array;
  #generation = 0;
  /** The last error a worker reported (the pool keeps working with the others). */
  lastError: string | null = null;

  constructor(memory: WebAssembly.Memory, module: WebAssembly.Module, kernelNames: readonly string[], size: number) {
    this.#memory = memory;
    this.#module = module;
    this.#kernelNames = kernelNames;
    this.#size = size;
    // Only a shared memory (size > 1) backs the control block; a private one may detach on growth.
    this.#control = size > 1 ? new Int32Array(memory.buffer, 0, Control.WORDS) : new Int32Array(Control.WORDS);
    Atomics.store(this.#control, Control.NEXT, CLOSED);
  }

  /** Threads that run jobs, the calling thread included. */
  get size(): number {
    return this.#size;
  }

  /** Workers that have started and are waiting for jobs. */
  get ready(): number {
    return Atomics.load(this.#control, Control.READY);
  }

  /** Starts the workers (once); resolves when the start was requested, not when they are ready. */
  start(): void {
    if (this.#starting || this.#size <= 1) return;
    this.#starting = true;
    const data = (id: number) => ({ module: this.#module, memory: this.#memory, kernelNames: this.#kernelNames, id });
    if (isNode) {
      const spawn = (threads: NodeWorkerThreads) => {
        for (let id = 1; id < this.#size; id++) {
          const worker = new threads.Worker(workerSource, { eval: true, workerData: data(id) });
          worker.on('message', (message) => {
            if (message.error) this.lastError = message.error;
          });
          worker.on('error', (error) => {
            this.lastError = error.message;
          });
          // After the listeners: adding a listener would ref the worker again.
          worker.unref?.();
          this.#workers.push(worker);
        }
      };
      const threads = nodeWorkerThreads();
      if (threads instanceof Promise) void threads.then(spawn, (error: unknown) => (this.lastError = String(error)));
      else spawn(threads);
      return;
    }
    const url = URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }));
    this.#workerUrl = url;
    for (let id = 1; id < this.#size; id++) {
      const worker = new Worker(url);
      worker.onmessage = (event: MessageEvent<{ error?: string }>) => {
        if (event.data.error) this.lastError = event.data.error;
      };
      worker.postMessage(data(id));
      this.#workers.push(worker);
    }
  }

  /**
   * Runs `chunks` chunks of `kernel` (the module export at `kernelIndex`) with the arguments at
   * `args`, in parallel when `parallel`, and returns when all are done. With `once`, each
   * thread runs at most one chunk and `chunks` must not exceed `1 + ready` (barrier jobs).
   */
  run(kernelIndex: number, kernel: ChunkKernel, args: number, chunks: number, parallel: boolean, once = false): void {
    if (chunks <= 0) return;
    // Chunk indices travel in 16 bits of NEXT; hosts keep jobs below that (see MAX_CHUNKS).
    if (!parallel || this.#size <= 1 || chunks > MAX_CHUNKS) {
      for (let chunk = 0; chunk < chunks; chunk++) kernel(args, chunk, 0);
      return;
    }
    this.start();
    const control = this.#control;
    this.#generation = (this.#generation + 1) % 0x7fff;
    Atomics.store(control, Control.NEXT, CLOSED);
    Atomics.store(control, Control.KERNEL, kernelIndex);
    Atomics.store(control, Control.ARGS, args);
    Atomics.store(control, Control.CHUNKS, chunks);
    Atomics.store(control, Control.ONCE, once ? 1 : 0);
    Atomics.store(control, Control.DONE, 0);
    Atomics.store(control, Control.BARRIER_COUNT, 0);
    const tag = this.#generation << 16;
    Atomics.store(control, Control.NEXT, tag);
    Atomics.store(control, Control.GENERATION, this.#generation);
    if (this.ready > 0) Atomics.notify(control, Control.GENERATION);
    try {
      for (;;) {
        const next = Atomics.load(control, Control.NEXT);
        const index = next & 0xffff;
        if (index >= chunks) break;
        if (Atomics.compareExchange(control, Control.NEXT, next, next + 1) !== next) continue;
        kernel(args, index, 0);
        Atomics.add(control, Control.DONE, 1);
        if (once) break;
      }
    } catch (error) {
      // Stop handing out chunks, let the workers finish the ones they hold, then rethrow.
      const claimed = Atomics.exchange(control, Control.NEXT, CLOSED) & 0xffff;
      this.#waitUntilDone(claimed - 1);
      throw error;
    }
    this.#waitUntilDone(chunks);
    Atomics.store(control, Control.NEXT, CLOSED);
    if (Atomics.exchange(control, Control.FAILED, 0) !== 0) {
      throw new Error(`a kernel worker thread failed${this.lastError ? `: ${this.lastError}` : ''}`);
    }
  }

  #waitUntilDone(chunks: number): void {
    const control = this.#control;
    const blocking = canBlock();
    for (let spin = 0; ; spin++) {
      const done = Atomics.load(control, Control.DONE);
      if (done >= chunks) return;
      if (blocking && spin > 2000) Atomics.wait(control, Control.DONE, done, 10);
    }
  }

  /** Stops and terminates the workers; the pool can start again later. */
  async close(): Promise<void> {
    const control = this.#control;
    Atomics.store(control, Control.STOP, 1);
    Atomics.add(control, Control.GENERATION, 0x8000);
    Atomics.notify(control, Control.GENERATION);
    const workers = this.#workers;
    this.#workers = [];
    this.#starting = false;
    await Promise.all(workers.map((worker) => worker.terminate()));
    if (this.#workerUrl) URL.revokeObjectURL(this.#workerUrl);
    this.#workerUrl = null;
    Atomics.store(control, Control.STOP, 0);
    Atomics.store(control, Control.READY, 0);
    Atomics.store(control, Control.GENERATION, this.#generation);
  }
}
