import { ModuleBuilder } from './builder.js';
import { addKernels, chunkRunnerNames, type ChunkRunnerName } from './kernels.js';
import { ThreadPool, type ChunkKernel } from './thread-pool.js';
import { Control } from './worker-source.js';

const PAGE = 65536;
/** Bytes before the arena: the control block and job arguments. */
const ARENA_START = PAGE;
/** Bytes of job arguments per job (several jobs of one kernel call may be prepared at once). */
const ARGS_BYTES = 256;

/** How a runtime was built. */
export interface RuntimeOptions {
  threads: number;
  relaxed: boolean;
}

/**
 * One instance of the kernel module on its own memory, with a bump arena for each kernel call
 * and (with more than one thread) a worker pool over the shared memory.
 *
 * The arena is reset at the start of every kernel call; kernels are synchronous, so calls never
 * overlap. Memory grows to the largest working set seen and is kept for reuse.
 */
export class WasmRuntime {
  readonly memory: WebAssembly.Memory;
  readonly pool: ThreadPool;
  readonly relaxed: boolean;
  readonly #kernels: Record<ChunkRunnerName, ChunkKernel>;
  readonly #kernelIndex: Record<ChunkRunnerName, number>;
  #top = ARENA_START;
  #argsTop = Control.WORDS * 4;
  #f32: Float32Array;
  #i32: Int32Array;
  #u8: Uint8Array;
  #bytes: number;

  /** Instantiates the kernel module (compiled here unless `module` is given) on a fresh memory. */
  constructor(options: RuntimeOptions, module?: WebAssembly.Module) {
    const shared = options.threads > 1;
    this.relaxed = options.relaxed;
    this.memory = createMemory(shared);
    module ??= new WebAssembly.Module(kernelModuleBytes(options));
    const names = chunkRunnerNames;
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    const exports = instance.exports as Record<string, ChunkKernel>;
    this.#kernels = Object.fromEntries(names.map((name) => [name, exports[name]])) as Record<ChunkRunnerName, ChunkKernel>;
    this.#kernelIndex = Object.fromEntries(names.map((name, index) => [name, index])) as Record<ChunkRunnerName, number>;
    this.pool = new ThreadPool(this.memory, module, names, options.threads);
    this.#f32 = new Float32Array(this.memory.buffer);
    this.#i32 = new Int32Array(this.memory.buffer);
    this.#u8 = new Uint8Array(this.memory.buffer);
    this.#bytes = this.#f32.byteLength;
  }

  /** The whole memory as floats (valid until the next `alloc`, which may grow memory). */
  get f32(): Float32Array {
    return this.#f32;
  }
  get i32(): Int32Array {
    return this.#i32;
  }
  get u8(): Uint8Array {
    return this.#u8;
  }

  #refresh(): void {
    this.#f32 = new Float32Array(this.memory.buffer);
    this.#i32 = new Int32Array(this.memory.buffer);
    this.#u8 = new Uint8Array(this.memory.buffer);
    this.#bytes = this.#f32.byteLength;
  }

  /** Starts a kernel call: frees the arena and the argument blocks. */
  reset(): void {
    this.#top = ARENA_START;
    this.#argsTop = Control.WORDS * 4;
  }

  /** Reserves `bytes` (64-byte aligned) in the arena, growing memory as needed; returns the byte address. */
  alloc(bytes: number): number {
    const address = this.#top;
    this.#top = address + Math.ceil(bytes / 64) * 64;
    const needed = this.#top - this.#bytes;
    if (needed > 0) {
      this.memory.grow(Math.ceil(needed / PAGE) + 16);
      this.#refresh();
    }
    return address;
  }

  /** Arena bytes in use (for budgeting). */
  get used(): number {
    return this.#top - ARENA_START;
  }

  /** A block for one job's arguments, written as i32 (or f32 via `setF32`) words. */
  args(): number {
    const address = this.#argsTop;
    this.#argsTop += ARGS_BYTES;
    if (this.#argsTop > PAGE) throw new Error('too many wasm jobs prepared in one kernel call');
    return address;
  }

  setI32(args: number, offset: number, value: number): void {
    this.i32[(args + offset) >> 2] = value;
  }

  setF32(args: number, offset: number, value: number): void {
    this.f32[(args + offset) >> 2] = value;
  }

  /** Runs `chunks` chunks of a kernel, spread over the pool when `parallel`. */
  run(kernel: ChunkRunnerName, args: number, chunks: number, parallel: boolean, once = false): void {
    this.pool.run(this.#kernelIndex[kernel], this.#kernels[kernel], args, chunks, parallel, once);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The kernel module's bytes for a thread count (shared memory or not) and instruction set. */
export function kernelModuleBytes(options: RuntimeOptions): Uint8Array<ArrayBuffer> {
  const shared = options.threads > 1;
  const builder = new ModuleBuilder({ initialPages: 0, maximumPages: 65536, shared });
  addKernels(builder, { relaxed: options.relaxed, threads: shared });
  return builder.encode();
}

function createMemory(shared: boolean): WebAssembly.Memory {
  if (!shared) return new WebAssembly.Memory({ initial: 256 });
  // Shared memories reserve their maximum up front; ask for less where address space is short.
  for (const maximum of [65536, 16384, 4096]) {
    try {
      return new WebAssembly.Memory({ initial: 256, maximum, shared: true });
    } catch {
      // try a smaller maximum
    }
  }
  throw new Error('could not allocate shared WebAssembly memory');
}
