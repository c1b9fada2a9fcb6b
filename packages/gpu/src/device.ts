import { BackendError } from '@heed/tensor';
import { destroyWebGpuDevice, useWebGpuDevice, type GpuModeName } from './modes.js';
import { maxElements, type Program, type ProgramInput } from './program.js';

/** What gpu.js hands back from a pipeline kernel: a GL texture, a WebGPU buffer, or (cpu, webasm) an array. */
interface DeviceValue {
  toArray?: () => Float32Array | Promise<Float32Array>;
  delete?: () => void;
}

/** The part of a gpu.js kernel this package calls. */
export interface CompiledKernel {
  (...args: unknown[]): unknown;
  destroy?: (removeCanvasReferences?: boolean) => void;
  setOutput(output: number[]): void;
}

/** The part of a gpu.js `GPU` instance this package calls. */
export interface GpuInstance {
  createKernel(source: string, settings: Record<string, unknown>): CompiledKernel;
  destroy(): void | Promise<void>;
}

/**
 * A backend handle: device memory holding `size` float32 elements (int32 and bool data are
 * stored as exact floats). On asynchronous modes the value arrives once the queued work before
 * it has run; `error` then carries any failure to the reads that depend on it.
 */
export class GpuHandle {
  /** The gpu.js texture, buffer or array; null while pending, when empty, or after disposal. */
  value: unknown = null;
  disposed = false;
  error: unknown = null;
  constructor(readonly size: number) {}
}

/** What the multi-program kernels (softmax, concat, attention) need from the backend. */
export interface Runner {
  run(program: Program): GpuHandle;
  dispose(handle: GpuHandle): void;
  /** The most attention scores one tile may hold. */
  readonly tileElements: number;
}

/** Counters for the memory probe and the kernel cache (see `GpuBackend.memory()`). */
export interface DeviceMemory {
  /** Handles allocated and not yet disposed. */
  liveHandles: number;
  /** Bytes those handles hold on the device (4 per element). */
  liveBytes: number;
  /** Compiled kernels in the cache. */
  compiledKernels: number;
  /** Kernel launches since the backend was created. */
  launches: number;
  /** Of `compiledKernels`, the hand-written WGSL pipelines (webgpu mode; 0 elsewhere). */
  wgslPipelines: number;
}

const toFloat32 = (data: ArrayLike<number>): Float32Array => (data instanceof Float32Array ? data : Float32Array.from(data));

/**
 * Runs programs with gpu.js in one mode: compiles each distinct source once (the cache key is
 * source + output size), keeps every result on the device (pipeline mode, immutable outputs),
 * and frees device memory on `dispose`. On WebGPU every call is queued in order on one promise
 * chain, so `run` still returns at once and reads wait for the work before them.
 */
export class Device {
  readonly #gpu: GpuInstance;
  readonly #asynchronous: boolean;
  readonly #kernels = new Map<string, CompiledKernel>();
  readonly #getVariableType: (value: unknown) => string;
  #tail: Promise<void> = Promise.resolve();
  #live = 0;
  #liveBytes = 0;
  #launches = 0;

  constructor(
    gpu: GpuInstance,
    readonly mode: GpuModeName,
    getVariableType: (value: unknown) => string,
  ) {
    this.#gpu = gpu;
    this.#asynchronous = mode === 'webgpu';
    this.#getVariableType = getVariableType;
    if (this.#asynchronous) useWebGpuDevice();
  }

  /** Whether reads must be awaited (WebGPU). */
  get asynchronous(): boolean {
    return this.#asynchronous;
  }

  /** Copies host data to the device. */
  upload(data: ArrayLike<number>): GpuHandle {
    const values = Float32Array.from(data);
    if (values.length === 0) return this.#track(new GpuHandle(0));
    this.#checkSize('upload', values.length);
    if (this.mode === 'cpu' || this.mode === 'webasm') {
      const handle = this.#track(new GpuHandle(values.length));
      handle.value = values;
      return handle;
    }
    const body = 'return source[this.thread.x];';
    if (this.#asynchronous) {
      const handle = this.#track(new GpuHandle(values.length));
      void this.#enqueue(async () => {
        const kernel = this.#kernel('source', body, values.length, [values]);
        this.#launches++;
        handle.value = await kernel(values);
      }, handle, 'upload');
      return handle;
    }
    return this.#launch('upload', this.#kernel('source', body, values.length, [values]), [values], values.length);
  }

  /** Runs a program and returns the handle of its output. */
  run(program: Program): GpuHandle {
    if (program.outputSize === 0) return this.#track(new GpuHandle(0));
    this.#checkSize(program.name, program.outputSize);
    for (const input of program.inputs) {
      if (input.kind === 'array' && input.handle.disposed) {
        throw new BackendError(program.name, 'an input tensor was disposed before this op used it');
      }
    }
    const parameters = program.inputs.map((input) => input.name).join(', ');
    // An empty input is never read (its loops run zero times) but gpu.js still wants an array.
    const placeholder = program.inputs.some((input) => input.kind === 'array' && input.handle.size === 0) ? this.#placeholder() : null;
    const values = (): unknown[] =>
      program.inputs.map((input) => (input.kind !== 'array' ? input.value : input.handle.size === 0 ? placeholder!.value : input.handle.value));
    if (this.#asynchronous) {
      const handle = this.#track(new GpuHandle(program.outputSize));
      void this.#enqueue(async () => {
        const failed = program.inputs.find((input): input is ProgramInput & { kind: 'array' } => input.kind === 'array' && input.handle.error !== null);
        if (failed) throw failed.handle.error as Error;
        const args = values();
        const kernel = this.#kernel(parameters, program.body, program.outputSize, args, program.inputs);
        this.#launches++;
        handle.value = await kernel(...args);
      }, handle, program.name);
      return handle;
    }
    const args = values();
    const kernel = this.#kernel(parameters, program.body, program.outputSize, args, program.inputs);
    return this.#launch(program.name, kernel, args, program.outputSize);
  }

  /**
   * Queues `step` (WebGPU only: the WGSL kernels), which receives the device values of `inputs`
   * (null for an empty or absent input) once the work before it has run, and returns one value
   * per entry of `sizes` (null for an empty output). Returns the output handles at once; a failure
   * reaches every read of them.
   */
  runCustom(name: string, sizes: readonly number[], inputs: readonly (GpuHandle | null)[], step: (values: unknown[]) => unknown[] | Promise<unknown[]>): GpuHandle[] {
    if (!this.#asynchronous) throw new BackendError(name, 'custom device steps run only in webgpu mode');
    for (const input of inputs) {
      if (input?.disposed) throw new BackendError(name, 'an input tensor was disposed before this op used it');
    }
    for (const size of sizes) this.#checkSize(name, size);
    const outputs = sizes.map((size) => this.#track(new GpuHandle(size)));
    const run = this.#tail.then(async () => {
      const failed = inputs.find((input) => input !== null && input.error !== null);
      if (failed) throw failed.error as Error;
      const values = await step(inputs.map((input) => (input === null || input.size === 0 ? null : input.value)));
      this.#launches++;
      outputs.forEach((output, index) => (output.value = values[index] ?? null));
    });
    this.#tail = run.catch((error: unknown) => {
      for (const output of outputs) output.error = wrap(name, error);
    });
    return outputs;
  }

  /** Reads a handle back to the host. */
  async read(handle: GpuHandle): Promise<Float32Array> {
    if (!this.#asynchronous) return this.readSync(handle);
    let reading: Promise<Float32Array> = Promise.resolve(new Float32Array(0));
    await this.#enqueue(() => {
      if (handle.error !== null) throw handle.error as Error;
      if (handle.size === 0) return;
      // On this queue a read enqueued before a dispose still sees the value (the garbage
      // collector may dispose a tensor whose read is in flight).
      if (handle.value === null) throw new BackendError('read', 'the tensor was disposed');
      const value = handle.value as DeviceValue;
      reading = Promise.resolve(value.toArray!());
    }, null, 'read');
    return toFloat32(await reading);
  }

  /** Reads a handle synchronously (every mode except WebGPU). */
  readSync(handle: GpuHandle): Float32Array {
    if (this.#asynchronous) throw new BackendError('dataSync', 'WebGPU reads asynchronously; use await tensor.data()');
    if (handle.size === 0) return new Float32Array(0);
    if (handle.disposed) throw new BackendError('read', 'the tensor was disposed');
    const value = handle.value;
    if (value instanceof Float32Array) return value.slice(0, handle.size);
    const data = (value as DeviceValue).toArray!() as Float32Array;
    return data.length === handle.size ? toFloat32(data) : toFloat32(data).slice(0, handle.size);
  }

  /** Frees a handle's device memory (after the queued work that reads it, on WebGPU). */
  dispose(handle: GpuHandle): void {
    if (handle.disposed) return;
    handle.disposed = true;
    this.#live--;
    this.#liveBytes -= handle.size * 4;
    const release = (): void => {
      const value = handle.value as DeviceValue | null;
      handle.value = null;
      if (value && typeof value.delete === 'function') value.delete();
    };
    if (this.#asynchronous) void this.#enqueue(release, null, 'dispose');
    else release();
  }

  /** Resolves once every queued kernel has run (immediately on synchronous modes). */
  async flush(): Promise<void> {
    await this.#tail;
  }

  memory(): DeviceMemory {
    return { liveHandles: this.#live, liveBytes: this.#liveBytes, compiledKernels: this.#kernels.size, launches: this.#launches, wgslPipelines: 0 };
  }

  /** Destroys every compiled kernel and the gpu.js instance. */
  async destroy(): Promise<void> {
    await this.flush();
    for (const kernel of this.#kernels.values()) kernel.destroy?.();
    this.#kernels.clear();
    await this.#gpu.destroy();
    if (this.#asynchronous) await destroyWebGpuDevice();
  }

  /** gpu.js indexes in float32 on the GPU modes: past 2^24 elements an index would be inexact. */
  #checkSize(name: string, size: number): void {
    if (size > maxElements && this.mode !== 'cpu' && this.mode !== 'webasm') {
      throw new BackendError(name, `a tensor of ${size} elements is over the ${maxElements} that gpu.js kernels index exactly in ${this.mode} mode; split the work`);
    }
  }

  #placeholderHandle: GpuHandle | null = null;

  #placeholder(): GpuHandle {
    this.#placeholderHandle ??= this.upload(new Float32Array(1));
    return this.#placeholderHandle;
  }

  #track(handle: GpuHandle): GpuHandle {
    this.#live++;
    this.#liveBytes += handle.size * 4;
    return handle;
  }

  #enqueue(step: () => void | Promise<void>, handle: GpuHandle | null, name: string): Promise<void> {
    const run = this.#tail.then(step);
    this.#tail = run.catch((error: unknown) => {
      if (handle) handle.error = wrap(name, error);
    });
    return run.catch((error: unknown) => {
      if (!handle) throw wrap(name, error);
    });
  }

  #launch(name: string, kernel: CompiledKernel, args: unknown[], size: number): GpuHandle {
    let value: unknown;
    try {
      value = kernel(...args);
    } catch (error) {
      throw wrap(name, error);
    }
    this.#launches++;
    const handle = this.#track(new GpuHandle(size));
    handle.value = value;
    return handle;
  }

  /** The compiled kernel for this source (compiled on first use), with its output set to `size`. */
  #kernel(parameters: string, body: string, size: number, args: unknown[], inputs?: readonly ProgramInput[]): CompiledKernel {
    const key = `${parameters}|${body}`;
    const cached = this.#kernels.get(key);
    if (cached) {
      cached.setOutput([size]);
      return cached;
    }
    const argumentTypes = args.map((value, index) => {
      const input = inputs?.[index];
      if (input?.kind === 'integer') return 'Integer';
      if (input?.kind === 'float') return 'Float';
      return this.#getVariableType(value);
    });
    const source = `function(${parameters}) {\n${body}\n}`;
    const kernel = this.#gpu.createKernel(source, {
      output: [size],
      pipeline: true,
      immutable: true,
      dynamicOutput: true,
      precision: 'single',
      tactic: 'precision',
      dynamicArguments: true,
      strictIntegers: true,
      argumentTypes,
      // Loop bounds are arguments; GLSL needs a constant bound to break out of.
      loopMaxIterations: 1 << 24,
    });
    this.#kernels.set(key, kernel);
    return kernel;
  }
}

function wrap(name: string, error: unknown): Error {
  if (error instanceof BackendError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new BackendError(name, `gpu.js failed: ${message}`);
}
