import { BackendError } from '@heed/tensor';
import * as gpujs from 'gpu.js';

// The WebGPU API surface this package touches, typed structurally (the DOM's WebGPU types are
// not in this package's lib); values come from gpu.js's shared GPUDevice.
type GpuBufferLike = { size: number; destroy(): void; mapAsync(mode: number, offset?: number, size?: number): Promise<void>; getMappedRange(offset?: number, size?: number): ArrayBuffer; unmap(): void };
interface ComputePass {
  setPipeline(pipeline: Pipeline): void;
  setBindGroup(index: number, group: unknown): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}
interface CommandEncoder {
  beginComputePass(): ComputePass;
  copyBufferToBuffer(source: GpuBufferLike, sourceOffset: number, target: GpuBufferLike, targetOffset: number, bytes: number): void;
  finish(): unknown;
}
interface Pipeline {
  getBindGroupLayout(index: number): unknown;
}
interface GpuDeviceLike {
  limits: Record<string, number>;
  queue: { writeBuffer(buffer: GpuBufferLike, offset: number, data: ArrayBufferView): void; submit(buffers: unknown[]): void };
  createBuffer(descriptor: { size: number; usage: number; mappedAtCreation?: boolean }): GpuBufferLike;
  createShaderModule(descriptor: { code: string }): unknown;
  createComputePipeline(descriptor: { layout: 'auto'; compute: { module: unknown; entryPoint: string } }): Pipeline;
  createBindGroup(descriptor: { layout: unknown; entries: { binding: number; resource: { buffer: GpuBufferLike } }[] }): unknown;
  createCommandEncoder(): CommandEncoder;
  pushErrorScope(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope(): Promise<{ message: string } | null>;
}

/** gpu.js's `{ adapter, device }` context: every buffer a gpu.js kernel binds must carry this object. */
interface GpuJsContext {
  device: GpuDeviceLike;
  isLost: boolean;
}

/** gpu.js's pipeline handle class (`WebGPUBufferResult`), constructed for our own outputs. */
interface BufferResultClass {
  new (settings: { buffer: GpuBufferLike; output: number[]; context: GpuJsContext; kernel: { readBufferResult(handle: BufferResult): Promise<Float32Array> } }): BufferResult;
}

/** A gpu.js pipeline handle: what a `GpuHandle`'s value is on WebGPU. */
export interface BufferResult {
  buffer: GpuBufferLike;
  output: number[];
  context: GpuJsContext;
  delete(): void;
}

// WebGPU's usage and map flags (globals only where WebGPU exists, so spelled out here).
const STORAGE = 0x80;
const UNIFORM = 0x40;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;
const MODE_READ = 0x1;

function gpuJsExport<T>(name: string): T {
  const module = gpujs as unknown as Record<string, unknown> & { default?: Record<string, unknown> };
  const value = (module[name] ?? module.default?.[name]) as T | undefined;
  if (!value) throw new BackendError('createGpuBackend', `gpu.js has no ${name} export (its WebGPU backend is needed for the WGSL kernels)`);
  return value;
}

/** A binding of one dispatch: a handle's buffer or a scratch buffer. */
export type Binding = BufferResult | GpuBufferLike;

/** One compute dispatch: the pipeline's source, its storage bindings in order, uniforms, and the grid. */
export interface Dispatch {
  source: string;
  /** Storage buffers at bindings 1, 2, … (binding 0 is the uniform block). */
  bindings: Binding[];
  /** The uniform block, as 32-bit words (write floats through a Float32Array view of the same buffer). */
  uniforms: Uint32Array;
  groups: [number, number, number];
}

/**
 * Runs hand-written WGSL compute shaders on gpu.js's own GPUDevice (`WebGPUContext.acquire()`,
 * the device every gpu.js WebGPU kernel uses), so results are gpu.js pipeline handles
 * (`WebGPUBufferResult` over our storage buffers): gpu.js kernels read them as arguments with no
 * copy, ours read gpu.js's, and reads go through the same `toArray()`. Every dispatch of one op
 * is recorded into one command encoder and submitted at once, in queue order with gpu.js's work.
 */
export class WgslRuntime {
  readonly #pipelines = new Map<string, Pipeline>();
  readonly #BufferResult: BufferResultClass;
  readonly #reader = { readBufferResult: (handle: BufferResult) => this.#readBack(handle) };
  #dummy: GpuBufferLike | null = null;

  private constructor(readonly context: GpuJsContext) {
    this.#BufferResult = gpuJsExport<BufferResultClass>('WebGPUBufferResult');
  }

  /** Acquires gpu.js's shared WebGPU device. */
  static async create(): Promise<WgslRuntime> {
    const context = await gpuJsExport<{ acquire(): Promise<GpuJsContext> }>('WebGPUContext').acquire();
    return new WgslRuntime(context);
  }

  get device(): GpuDeviceLike {
    if (this.context.isLost) throw new BackendError('webgpu', 'the WebGPU device was lost; create the backend again');
    return this.context.device;
  }

  /** The device's limit `name` (such as `maxComputeWorkgroupStorageSize`). */
  limit(name: string): number {
    return this.context.device.limits[name];
  }

  /** A zero-filled storage buffer of `elements` float32 values, readable by gpu.js and by copies. */
  storage(elements: number): GpuBufferLike {
    return this.device.createBuffer({ size: Math.max(4, elements * 4), usage: STORAGE | COPY_SRC | COPY_DST });
  }

  /** A storage buffer holding `data`. */
  upload(data: Float32Array | Uint32Array | Int32Array): GpuBufferLike {
    const buffer = this.storage(data.length);
    if (data.length > 0) this.device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  }

  /** A 4-byte buffer bound where an optional input (a missing bias or mask) is absent. */
  get dummy(): GpuBufferLike {
    this.#dummy ??= this.storage(1);
    return this.#dummy;
  }

  /** Wraps a buffer of `elements` floats as a gpu.js pipeline handle (which owns it from now on). */
  wrap(buffer: GpuBufferLike, elements: number): BufferResult {
    return new this.#BufferResult({ buffer, output: [elements], context: this.context, kernel: this.#reader });
  }

  /**
   * Records `dispatches` and then `copies` (byte ranges between buffers) into one command
   * encoder and submits it. Uniform buffers are destroyed at once (WebGPU frees them after the
   * submitted work has run); so is every buffer in `release`.
   */
  submit(dispatches: readonly Dispatch[], copies: readonly { from: GpuBufferLike; fromOffset: number; to: GpuBufferLike; toOffset: number; bytes: number }[] = [], release: readonly GpuBufferLike[] = []): Promise<void> | void {
    const device = this.device;
    // The first submit of a new shader runs under an error scope, so a compile or binding error
    // fails the op with WebGPU's message instead of leaving zeros behind; later submits do not wait.
    const fresh = dispatches.some((dispatch) => !this.#pipelines.has(dispatch.source));
    if (fresh) device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder();
    const uniforms: GpuBufferLike[] = [];
    for (const dispatch of dispatches) {
      if (dispatch.groups.some((count) => count === 0)) continue;
      const pipeline = this.#pipeline(dispatch.source);
      const uniform = device.createBuffer({ size: Math.max(16, Math.ceil(dispatch.uniforms.byteLength / 16) * 16), usage: UNIFORM | COPY_DST });
      device.queue.writeBuffer(uniform, 0, dispatch.uniforms);
      uniforms.push(uniform);
      const entries = [{ binding: 0, resource: { buffer: uniform } }];
      dispatch.bindings.forEach((binding, index) => {
        entries.push({ binding: index + 1, resource: { buffer: 'buffer' in binding ? binding.buffer : binding } });
      });
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
      pass.dispatchWorkgroups(...dispatch.groups);
      pass.end();
    }
    for (const copy of copies) {
      if (copy.bytes > 0) encoder.copyBufferToBuffer(copy.from, copy.fromOffset, copy.to, copy.toOffset, copy.bytes);
    }
    device.queue.submit([encoder.finish()]);
    for (const buffer of [...uniforms, ...release]) buffer.destroy();
    if (!fresh) return;
    return device.popErrorScope().then((error) => {
      if (!error) return;
      for (const dispatch of dispatches) this.#pipelines.delete(dispatch.source);
      throw new BackendError('webgpu', `a WGSL kernel failed validation: ${error.message}`);
    });
  }

  /** The compute pipeline of `source` (entry point `main`), compiled once. */
  #pipeline(source: string): Pipeline {
    let pipeline = this.#pipelines.get(source);
    if (!pipeline) {
      const module = this.device.createShaderModule({ code: source });
      pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      this.#pipelines.set(source, pipeline);
    }
    return pipeline;
  }

  /** Compiled WGSL pipelines (for `memory().compiledKernels`). */
  get compiled(): number {
    return this.#pipelines.size;
  }

  async #readBack(handle: BufferResult): Promise<Float32Array> {
    const bytes = handle.output[0] * 4;
    const device = this.device;
    const staging = device.createBuffer({ size: Math.max(4, bytes), usage: MAP_READ | COPY_DST });
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(handle.buffer, 0, staging, 0, bytes);
    device.queue.submit([encoder.finish()]);
    try {
      await staging.mapAsync(MODE_READ, 0, bytes);
      return new Float32Array(staging.getMappedRange(0, bytes).slice(0));
    } finally {
      staging.destroy();
    }
  }
}

/** Packs uniforms: `u32`/`i32`/`f32` fields in declaration order (every field is 4 bytes). */
export class Uniforms {
  readonly #words: number[] = [];
  readonly #floats = new Set<number>();

  u32(...values: number[]): this {
    for (const value of values) this.#words.push(value >>> 0);
    return this;
  }

  f32(...values: number[]): this {
    for (const value of values) {
      this.#floats.add(this.#words.length);
      this.#words.push(value);
    }
    return this;
  }

  build(): Uint32Array {
    const words = new Uint32Array(Math.max(4, Math.ceil(this.#words.length / 4) * 4));
    const floats = new Float32Array(words.buffer);
    this.#words.forEach((value, index) => {
      if (this.#floats.has(index)) floats[index] = value;
      else words[index] = value;
    });
    return words;
  }
}

/** Workgroup counts for `total` items in groups of `size`, spread over x and y (x at most 65,535). */
export function spread(total: number, size: number): [number, number, number] {
  const groups = Math.ceil(total / size);
  if (groups <= 65535) return [groups, 1, 1];
  return [65535, Math.ceil(groups / 65535), 1];
}
