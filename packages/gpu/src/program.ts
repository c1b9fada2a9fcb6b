import type { View } from '@heed/tensor';
import type { GpuHandle } from './device.js';

/**
 * A kernel ready to run: gpu.js source, the output length, and the arguments in order. Shapes,
 * strides and offsets travel as integer arguments and the output size is set per call, so the
 * source depends only on the op and the rank: one compiled kernel serves every shape (the
 * source is the cache key), as tfjs's WebGL programs use uniforms for shapes.
 */
export interface Program {
  /** A short name for error messages and statistics (`binary.add`, `matmul`, …). */
  name: string;
  /** The body of `function(...parameters) { … }` as gpu.js source. */
  body: string;
  /** Elements in the (flat, one-dimensional) output. */
  outputSize: number;
  /** Array arguments (device handles) and integer or float scalars, in parameter order. */
  inputs: ProgramInput[];
}

/** One argument of a program. */
export type ProgramInput =
  | { kind: 'array'; name: string; handle: GpuHandle }
  | { kind: 'integer'; name: string; value: number }
  | { kind: 'float'; name: string; value: number };

/** Builds the argument list and index expressions of a program, one input at a time. */
export class ProgramBuilder {
  readonly inputs: ProgramInput[] = [];

  /** Adds a view's storage and offset; returns the names of the array and offset parameters. */
  view(view: View, prefix: string): { array: string; offset: string } {
    const array = `${prefix}Data`;
    const offset = `${prefix}Offset`;
    this.inputs.push({ kind: 'array', name: array, handle: view.handle as GpuHandle });
    this.inputs.push({ kind: 'integer', name: offset, value: view.offset });
    return { array, offset };
  }

  /** Adds a float scalar parameter (for values that change between calls, such as -Infinity or a fill value). */
  float(name: string, value: number): string {
    this.inputs.push({ kind: 'float', name, value });
    return name;
  }

  /** Adds one integer parameter per value (`${prefix}0`, …) and returns their names. */
  integers(prefix: string, values: readonly number[]): string[] {
    return values.map((value, index) => this.integer(`${prefix}${index}`, value));
  }

  /** Adds an integer scalar parameter. */
  integer(name: string, value: number): string {
    this.inputs.push({ kind: 'integer', name, value });
    return name;
  }

  build(name: string, body: string, outputSize: number): Program {
    return { name, body, outputSize, inputs: this.inputs };
  }
}

/** A float literal that gpu.js types as Float in every backend (`2` → `2.0`). */
export function float(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as a kernel literal; pass it as a parameter`);
  const text = String(value);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

/**
 * Statements declaring `quotient = floor(value / divisor)` and `remainder = value - quotient ·
 * divisor` for non-negative integers. gpu.js computes kernel arithmetic in float32 on WebGPU and
 * WebGL, where division may be off by an ulp or two (GPUs multiply by a reciprocal), so the
 * quotient is corrected once by the exact remainder: exact for every value below 2^24.
 */
export function divide(value: string, divisor: string, quotient: string, remainder: string): string {
  return [
    `let ${quotient} = Math.floor(${value} / ${divisor});`,
    `let ${remainder} = ${value} - ${quotient} * ${divisor};`,
    `if (${remainder} < 0) { ${quotient} = ${quotient} - 1; ${remainder} = ${remainder} + ${divisor}; }`,
    `if (${remainder} >= ${divisor}) { ${quotient} = ${quotient} + 1; ${remainder} = ${remainder} - ${divisor}; }`,
  ].join('\n');
}

/** The most elements a gpu.js kernel can address exactly (indices are float32 on the GPU modes). */
export const maxElements = 2 ** 24;

/**
 * Statements that split the flat index `index` into one variable per axis (`${prefix}0`, …),
 * innermost first, given the axis sizes `dims` (parameter names), with {@link divide} so indices
 * stay exact on every backend.
 */
export function splitIndex(index: string, dims: readonly string[], prefix: string): string {
  const lines: string[] = [];
  let remainder = index;
  for (let axis = dims.length - 1; axis >= 0; axis--) {
    const name = `${prefix}${axis}`;
    if (axis === 0) {
      lines.push(`const ${name} = ${remainder};`);
      break;
    }
    const next = `${prefix}Rest${axis}`;
    lines.push(divide(remainder, dims[axis], next, name));
    remainder = next;
  }
  return lines.join('\n');
}

/** `offset + Σ ${prefix}k · strides[k]` (strides are parameter names), leaving out `skipAxis`. */
export function offsetExpression(offset: string, strides: readonly string[], prefix: string, skipAxis = -1): string {
  const terms = [offset];
  strides.forEach((stride, axis) => {
    if (axis !== skipAxis) terms.push(`${prefix}${axis} * ${stride}`);
  });
  return terms.join(' + ');
}

/** True when a view reads its elements consecutively from its offset (row-major, no gaps). */
export function isRowMajor(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    if (shape[axis] !== 1 && strides[axis] !== expected) return false;
    expected *= shape[axis];
  }
  return true;
}

/**
 * Drops size-1 axes and merges neighbouring axes that every view walks as one (so a row-major
 * [2, 3, 4] becomes [24]): fewer axes mean less index arithmetic and fewer distinct kernels.
 */
export function canonicalize(shape: readonly number[], stridesList: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = stridesList.map(() => []);
  shape.forEach((size, axis) => {
    if (size === 1) return;
    const last = outShape.length - 1;
    const mergeable = last >= 0 && stridesList.every((strides, view) => outStrides[view][last] === strides[axis] * size);
    if (mergeable) {
      outShape[last] *= size;
      stridesList.forEach((strides, view) => (outStrides[view][last] = strides[axis]));
    } else {
      outShape.push(size);
      stridesList.forEach((strides, view) => outStrides[view].push(strides[axis]));
    }
  });
  return { shape: outShape, strides: outStrides };
}

/** Product of a shape's dimensions. */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const dimension of shape) size *= dimension;
  return size;
}

/** Row-major strides of `shape`. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = step;
    step *= shape[axis];
  }
  return strides;
}

/** A row-major float32 view over a whole handle (for intermediates inside multi-program kernels). */
export function denseView(handle: GpuHandle, shape: readonly number[]): View<GpuHandle> {
  return { handle, dtype: 'float32', shape, strides: contiguousStrides(shape), offset: 0 };
}
