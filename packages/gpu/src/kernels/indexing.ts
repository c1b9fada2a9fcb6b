import type { View } from '@heed/tensor';
import { ProgramBuilder, offsetExpression, sizeOf, splitIndex, type Program } from '../program.js';

/**
 * Gather, scatter-add and concat. Scatter-add is written gather-style (each output element sums
 * the sources whose index points at it), since gpu.js threads write only their own element.
 * Sizes and strides are parameters; the source depends only on the rank and the axis.
 */

/** `out[...i...] = x[... index[...i...] ...]` along `axis`; an out-of-range index reads NaN, never a neighbour. */
export function gatherProgram(x: View, axis: number, index: View, notANumber: number): Program {
  const builder = new ProgramBuilder();
  const source = builder.view(x, 'x');
  const indices = builder.view(index, 'index');
  const nan = builder.float('notANumber', notANumber);
  const dims = builder.integers('dim', index.shape);
  const indexStrides = builder.integers('indexStride', index.strides);
  const sourceStrides = builder.integers('sourceStride', x.strides);
  const limit = builder.float('limit', x.shape[axis]);
  const lines = ['const position = this.thread.x;', splitIndex('position', dims, 'axis')];
  lines.push(`const target = ${indices.array}[${offsetExpression(indices.offset, indexStrides, 'axis')}];`);
  lines.push(`if (target < 0.0 || target >= ${limit}) { return ${nan}; }`);
  const base = offsetExpression(source.offset, sourceStrides, 'axis', axis);
  lines.push(`const targetIndex = Math.floor(target);`, `return ${source.array}[${base} + targetIndex * ${sourceStrides[axis]}];`);
  return builder.build(`gather.${index.shape.length}.${axis}`, lines.filter(Boolean).join('\n'), sizeOf(index.shape));
}

/** Zeros of `shape` plus `source[i]` added at `index[i]` along `axis` (the adjoint of gather). */
export function scatterAddProgram(shape: readonly number[], axis: number, index: View, source: View): Program {
  const builder = new ProgramBuilder();
  const indices = builder.view(index, 'index');
  const values = builder.view(source, 'source');
  const dims = builder.integers('dim', shape);
  const extents = builder.integers('extent', index.shape);
  const indexStrides = builder.integers('indexStride', index.strides);
  const sourceStrides = builder.integers('sourceStride', source.strides);
  const lines = ['const position = this.thread.x;', splitIndex('position', dims, 'axis')];
  // Output positions outside the index's extent (on the other axes) receive nothing.
  const outside = extents.map((extent, dimension) => (dimension === axis ? '' : `axis${dimension} >= ${extent}`)).filter(Boolean);
  if (outside.length > 0) lines.push(`if (${outside.join(' || ')}) { return 0.0; }`);
  lines.push(
    `const indexStart = ${offsetExpression(indices.offset, indexStrides, 'axis', axis)};`,
    `const sourceStart = ${offsetExpression(values.offset, sourceStrides, 'axis', axis)};`,
    'let total = 0.0;',
    `for (let step = 0; step < ${extents[axis]}; step++) {`,
    `  if (${indices.array}[indexStart + step * ${indexStrides[axis]}] === axis${axis}) {`,
    `    total += ${values.array}[sourceStart + step * ${sourceStrides[axis]}];`,
    '  }',
    '}',
    'return total;',
  );
  return builder.build('scatterAdd', lines.filter(Boolean).join('\n'), sizeOf(shape));
}

/**
 * How many views one concat program joins: WebGPU allows 8 storage buffers per shader stage by
 * default (the output is one of them), WebGL guarantees 16 texture units.
 */
export const concatGroup = 6;

/** Joins up to {@link concatGroup} views along `axis` into `shape`. */
export function concatProgram(inputs: readonly View[], axis: number, shape: readonly number[]): Program {
  const builder = new ProgramBuilder();
  const dims = builder.integers('dim', shape);
  const lines = ['const position = this.thread.x;', splitIndex('position', dims, 'axis')];
  let start = 0;
  inputs.forEach((view, number) => {
    const size = view.shape[axis];
    if (size === 0) return;
    const names = builder.view(view, `in${number}`);
    const strides = builder.integers(`in${number}Stride`, view.strides);
    const first = builder.integer(`in${number}Start`, start);
    const end = builder.integer(`in${number}End`, start + size);
    // Inside this input, the axis index is shifted by where the input starts.
    const read = `${names.array}[${offsetExpression(names.offset, strides, 'axis', axis)} + (axis${axis} - ${first}) * ${strides[axis]}]`;
    lines.push(`if (axis${axis} < ${end}) { return ${read}; }`);
    start += size;
  });
  lines.push('return 0.0;');
  return builder.build('concat', lines.filter(Boolean).join('\n'), sizeOf(shape));
}
