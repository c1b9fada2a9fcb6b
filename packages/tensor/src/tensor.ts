import { backward, type BackwardOptions, type GradNode } from './autograd.js';
import type { Backend, DType, DataArray, View } from './backend.js';
import { getBackend } from './backend-registry.js';
import { BackendError, GradientError, ShapeError, formatShape } from './errors.js';
import { contiguousStrides, sameShape, sizeOf, type Shape } from './shape.js';
import * as creation from './ops/creation.js';
import * as elementwise from './ops/elementwise.js';
import * as reduce from './ops/reduce.js';
import * as movement from './ops/movement.js';
import { matmul } from './ops/matmul.js';
import { logSoftmax, softmax } from './ops/softmax.js';
import { formatTensor } from './format.js';

/** Backend memory behind one or more tensors (views share it). */
class Storage {
  constructor(
    readonly backend: Backend,
    public handle: unknown,
    readonly dtype: DType,
    readonly size: number,
  ) {}
}

const releaser =
  typeof FinalizationRegistry === 'undefined'
    ? null
    : new FinalizationRegistry<{ backend: Backend; handle: unknown }>(({ backend, handle }) => backend.dispose(handle));

function track(storage: Storage): void {
  // Host-memory backends (the CPU backend) need no release; device memory is released when the
  // last tensor using it is garbage-collected, or at once by `dispose()`.
  if (storage.backend.name !== 'cpu' && releaser) releaser.register(storage, { backend: storage.backend, handle: storage.handle }, storage);
}

/** A nested array of numbers or booleans, such as `[[1, 2], [3, 4]]`. */
export type NestedArray = number | boolean | readonly NestedArray[];

/**
 * An n-dimensional array of float32 (or int32 / bool) elements on a backend, with reverse-mode
 * autograd. Tensors are immutable: every op returns a new tensor (reshape, transpose, slice and
 * expand return views that share storage without copying).
 *
 * @example
 * ```ts
 * import { tensor } from '@heed/tensor';
 * const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * const loss = x.mul(x).sum();
 * loss.backward();
 * console.log(x.grad?.toArray()); // [[2, 4], [6, 8]]
 * ```
 */
export class Tensor {
  /** Size of each dimension. */
  readonly shape: readonly number[];
  /** Storage step of each dimension, in elements (0 on broadcast dimensions). */
  readonly strides: readonly number[];
  /** Index of the first element in storage. */
  readonly offset: number;
  /** Element type. */
  readonly dtype: DType;
  #storage: Storage;
  #requiresGrad = false;
  #gradNode: GradNode | null = null;
  #retainsGrad = false;
  /** The accumulated gradient of a leaf that requires grad, after `backward()`. */
  grad: Tensor | null = null;

  private constructor(storage: Storage, shape: Shape, strides: readonly number[], offset: number) {
    this.#storage = storage;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze([...strides]);
    this.offset = offset;
    this.dtype = storage.dtype;
  }

  /** Wraps a backend handle holding row-major data of `shape` (used by ops and backends). */
  static fromHandle(backend: Backend, handle: unknown, shape: Shape, dtype: DType): Tensor {
    const storage = new Storage(backend, handle, dtype, sizeOf(shape));
    track(storage);
    return new Tensor(storage, shape, contiguousStrides(shape), 0);
  }

  /** Uploads a host array of `shape` to `backend` (the current one by default). */
  static fromData(data: DataArray, shape: Shape, dtype: DType, backend: Backend = getBackend()): Tensor {
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError('tensor', 'data', `${sizeOf(shape)} elements for shape ${formatShape(shape)}`, [data.length]);
    }
    return Tensor.fromHandle(backend, backend.upload(data, dtype), shape, dtype);
  }

  /** A view of this tensor's storage with another shape, strides and offset (no copy). */
  viewAs(shape: Shape, strides: readonly number[], offset: number = this.offset): Tensor {
    return new Tensor(this.#storage, shape, strides, offset);
  }

  /** The backend this tensor lives on. */
  get backend(): Backend {
    return this.#storage.backend;
  }

  /** The number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** The number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** The kernel-facing view of this tensor. */
  get view(): View {
    return { handle: this.#storage.handle, dtype: this.dtype, shape: this.shape, strides: this.strides, offset: this.offset };
  }

  /** True when the elements are stored row-major with no gaps from `offset`. */
  get isContiguous(): boolean {
    let expected = 1;
    for (let axis = this.shape.length - 1; axis >= 0; axis--) {
      if (this.shape[axis] !== 1 && this.strides[axis] !== expected) return false;
      expected *= this.shape[axis];
    }
    return true;
  }

  // ------------------------------------------------------------------ autograd

  /** Whether gradients flow to this tensor. Only float32 leaves may be switched on. */
  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }

  set requiresGrad(value: boolean) {
    if (value && this.dtype !== 'float32') {
      throw new GradientError('requiresGrad', `only float32 tensors can require grad, this one is ${this.dtype}`);
    }
    if (!value && this.#gradNode) {
      throw new GradientError('requiresGrad', 'cannot switch off requiresGrad on a computed tensor; use detach()');
    }
    this.#requiresGrad = value;
  }

  /** The op and gradient rule that produced this tensor, or null for a leaf. */
  get gradNode(): GradNode | null {
    return this.#gradNode;
  }

  /** @internal Used by `record` in autograd. */
  setGradNode(node: GradNode): void {
    this.#gradNode = node;
    this.#requiresGrad = true;
  }

  /** Whether `backward()` also stores `.grad` on this non-leaf tensor. */
  get retainsGrad(): boolean {
    return this.#retainsGrad || (this.#gradNode === null && this.#requiresGrad);
  }

  /** Keeps `.grad` on this non-leaf tensor during `backward()` (PyTorch's `retain_grad`). */
  retainGrad(): this {
    this.#retainsGrad = true;
    return this;
  }

  /**
   * @internal Adds `grad` into `.grad`. With `keepGraph` (a `createGraph` backward) the sum stays
   * in the graph, so `.grad` itself can be differentiated; otherwise `.grad` is detached and holds
   * no graph memory.
   */
  accumulateGrad(grad: Tensor, keepGraph = false): void {
    if (keepGraph) {
      this.grad = this.grad ? this.grad.add(grad) : grad;
      return;
    }
    const detached = grad.detach();
    this.grad = this.grad ? this.grad.add(detached).detach() : detached;
  }

  /** Sets `.grad` to null (optimizers call this through `zeroGrad`). */
  zeroGrad(): void {
    this.grad = null;
  }

  /**
   * Backpropagates from this tensor, accumulating into `.grad` of every leaf that requires grad.
   * A tensor with more than one element needs `options.gradient` (d loss / d this).
   */
  backward(options?: BackwardOptions | Tensor): void {
    backward(this, options instanceof Tensor ? { gradient: options } : options);
  }

  /** The same values, cut off from the graph (shares storage). */
  detach(): Tensor {
    return new Tensor(this.#storage, this.shape, this.strides, this.offset);
  }

  /** Marks this leaf as requiring grad and returns it. */
  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }

  /**
   * Replaces this tensor's values in place with `source`'s (same shape), keeping its identity,
   * its `.grad` and its place in modules and optimizers. Only leaves may be assigned.
   */
  assign(source: Tensor): this {
    if (this.#gradNode) throw new GradientError('assign', 'only leaf tensors can be assigned in place');
    if (!sameShape(source.shape, this.shape)) throw new ShapeError('assign', 'source', formatShape(this.shape), source.shape);
    const moved = source.backend === this.backend ? source : source.to(this.backend);
    const dense = movement.contiguous(moved.detach(), this.dtype);
    const fresh = dense.#storage === moved.#storage ? movement.clone(dense) : dense;
    this.#storage = fresh.#storage;
    (this as { strides: readonly number[] }).strides = fresh.strides;
    (this as { offset: number }).offset = fresh.offset;
    return this;
  }

  /** Frees device memory now (host memory is left to the garbage collector). */
  dispose(): void {
    if (this.backend.name !== 'cpu') {
      releaser?.unregister(this.#storage);
      this.backend.dispose(this.#storage.handle);
    }
  }

  // ------------------------------------------------------------------ reading back

  /** Row-major elements, read synchronously (throws on backends that can only read asynchronously). */
  dataSync(): DataArray {
    // A contiguous view at an offset (a slice of rows) is still copied: reads start at element 0.
    const dense = this.isContiguous && this.offset === 0 && this.size === this.#storage.size ? this : movement.clone(this.detach());
    const backend = dense.backend;
    if (!backend.readSync) {
      throw new BackendError('dataSync', `the ${backend.name} backend reads asynchronously; use await tensor.data()`);
    }
    return backend.readSync(dense.#storage.handle, dense.dtype, dense.size);
  }

  /** Row-major elements, read asynchronously (works on every backend). */
  async data(): Promise<DataArray> {
    // A contiguous view at an offset (a slice of rows) is still copied: reads start at element 0.
    const dense = this.isContiguous && this.offset === 0 && this.size === this.#storage.size ? this : movement.clone(this.detach());
    return dense.backend.read(dense.#storage.handle, dense.dtype, dense.size);
  }

  /** The elements as nested arrays (booleans for bool tensors), read synchronously. */
  toArray(): NestedArray {
    return nest(this.dataSync(), this.shape, this.dtype);
  }

  /** The elements as nested arrays, read asynchronously. */
  async array(): Promise<NestedArray> {
    return nest(await this.data(), this.shape, this.dtype);
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError('item', 'tensor', 'one element', this.shape);
    return this.dataSync()[0];
  }

  /** A copy on another backend. */
  to(backend: Backend): Tensor {
    if (backend === this.backend) return this;
    const moved = Tensor.fromData(this.dataSync(), this.shape, this.dtype, backend);
    return moved;
  }

  /** Readable text: values (abbreviated when large), shape and dtype. */
  toString(): string {
    return formatTensor(this);
  }

  // ------------------------------------------------------------------ ops as methods

  add(other: Tensor | number): Tensor { return elementwise.add(this, other); }
  sub(other: Tensor | number): Tensor { return elementwise.sub(this, other); }
  mul(other: Tensor | number): Tensor { return elementwise.mul(this, other); }
  div(other: Tensor | number): Tensor { return elementwise.div(this, other); }
  pow(exponent: Tensor | number): Tensor { return elementwise.pow(this, exponent); }
  neg(): Tensor { return elementwise.neg(this); }
  exp(): Tensor { return elementwise.exp(this); }
  log(): Tensor { return elementwise.log(this); }
  sqrt(): Tensor { return elementwise.sqrt(this); }
  tanh(): Tensor { return elementwise.tanh(this); }
  sigmoid(): Tensor { return elementwise.sigmoid(this); }
  relu(): Tensor { return elementwise.relu(this); }
  abs(): Tensor { return elementwise.abs(this); }
  sign(): Tensor { return elementwise.sign(this); }
  square(): Tensor { return elementwise.mul(this, this); }
  maximum(other: Tensor | number): Tensor { return elementwise.maximum(this, other); }
  minimum(other: Tensor | number): Tensor { return elementwise.minimum(this, other); }
  clamp(min?: number, max?: number): Tensor { return elementwise.clamp(this, min, max); }
  eq(other: Tensor | number): Tensor { return elementwise.eq(this, other); }
  ne(other: Tensor | number): Tensor { return elementwise.ne(this, other); }
  lt(other: Tensor | number): Tensor { return elementwise.lt(this, other); }
  le(other: Tensor | number): Tensor { return elementwise.le(this, other); }
  gt(other: Tensor | number): Tensor { return elementwise.gt(this, other); }
  ge(other: Tensor | number): Tensor { return elementwise.ge(this, other); }
  logicalNot(): Tensor { return elementwise.logicalNot(this); }
  logicalAnd(other: Tensor): Tensor { return elementwise.logicalAnd(this, other); }
  logicalOr(other: Tensor): Tensor { return elementwise.logicalOr(this, other); }
  maskedFill(mask: Tensor, value: number): Tensor { return elementwise.maskedFill(this, mask, value); }
  matmul(other: Tensor): Tensor { return matmul(this, other); }
  sum(dim?: number | readonly number[], keepDim = false): Tensor { return reduce.sum(this, dim, keepDim); }
  mean(dim?: number | readonly number[], keepDim = false): Tensor { return reduce.mean(this, dim, keepDim); }
  max(dim?: number, keepDim = false): Tensor { return reduce.max(this, dim, keepDim); }
  min(dim?: number, keepDim = false): Tensor { return reduce.min(this, dim, keepDim); }
  argmax(dim?: number, keepDim = false): Tensor { return reduce.argmax(this, dim, keepDim); }
  argmin(dim?: number, keepDim = false): Tensor { return reduce.argmin(this, dim, keepDim); }
  logSumExp(dim: number | readonly number[], keepDim = false): Tensor { return reduce.logSumExp(this, dim, keepDim); }
  softmax(dim = -1): Tensor { return softmax(this, dim); }
  logSoftmax(dim = -1): Tensor { return logSoftmax(this, dim); }
  reshape(shape: Shape): Tensor { return movement.reshape(this, shape); }
  flatten(startDim = 0, endDim = -1): Tensor { return movement.flatten(this, startDim, endDim); }
  permute(dims: readonly number[]): Tensor { return movement.permute(this, dims); }
  transpose(dim0 = -2, dim1 = -1): Tensor { return movement.transpose(this, dim0, dim1); }
  expand(shape: Shape): Tensor { return movement.expand(this, shape); }
  squeeze(dim?: number): Tensor { return movement.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return movement.unsqueeze(this, dim); }
  slice(dim: number, start: number, end?: number, step = 1): Tensor { return movement.slice(this, dim, start, end, step); }
  contiguous(): Tensor { return movement.contiguous(this); }
  clone(): Tensor { return movement.clone(this); }
  float(): Tensor { return movement.cast(this, 'float32'); }
  int(): Tensor { return movement.cast(this, 'int32'); }
  bool(): Tensor { return movement.cast(this, 'bool'); }
  /** Sums a broadcast gradient back to `shape` (the engine's single place that undoes broadcasting). */
  sumToShape(shape: Shape): Tensor { return reduce.sumToShape(this, shape); }
  zerosLike(): Tensor { return creation.zerosLike(this); }
  onesLike(): Tensor { return creation.onesLike(this); }
}

function nest(data: DataArray, shape: Shape, dtype: DType): NestedArray {
  const convert = (value: number): number | boolean => (dtype === 'bool' ? value !== 0 : value);
  if (shape.length === 0) return convert(data[0]);
  const build = (axis: number, offset: number): NestedArray => {
    const size = shape[axis];
    const inner = sizeOf(shape.slice(axis + 1));
    const out: NestedArray[] = [];
    for (let index = 0; index < size; index++) {
      out.push(axis === shape.length - 1 ? convert(data[offset + index]) : build(axis + 1, offset + index * inner));
    }
    return out;
  };
  return build(0, 0);
}
