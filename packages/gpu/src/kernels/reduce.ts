import type { ReduceOp, View } from '@heed/tensor';
import { ProgramBuilder, divide, offsetExpression, sizeOf, splitIndex, type Program } from '../program.js';

/**
 * Reductions over one axis and the two programs of a stable softmax. One thread per output
 * element walks the reduced axis; lengths, sizes and strides are parameters.
 */

/**
 * Declares `start`, the storage position of element 0 of the reduced axis for output element
 * `index`, and returns the parameter names of the axis length and stride.
 */
function rowStart(builder: ProgramBuilder, x: View, axis: number, offset: string, index: string, lines: string[]): { length: string; stride: string } {
  const outer = x.shape.filter((_, dimension) => dimension !== axis);
  const outerStrides = x.strides.filter((_, dimension) => dimension !== axis);
  const dims = builder.integers('dim', outer);
  const strides = builder.integers('stride', outerStrides);
  const split = splitIndex(index, dims, 'axis');
  if (split) lines.push(split);
  lines.push(`const start = ${offsetExpression(offset, strides, 'axis')};`);
  return { length: builder.integer('length', x.shape[axis]), stride: builder.integer('axisStride', x.strides[axis]) };
}

/** `op` over `axis` of `x`. argmax/argmin break ties towards the lowest index; a NaN wins, as on the CPU backend. */
export function reduceProgram(op: ReduceOp, x: View, axis: number, infinity: number): Program {
  const builder = new ProgramBuilder();
  const { array, offset } = builder.view(x, 'x');
  const positiveInfinity = builder.float('positiveInfinity', infinity);
  const lines = ['const index = this.thread.x;'];
  const { length, stride } = rowStart(builder, x, axis, offset, 'index', lines);
  const read = (position: string): string => `${array}[start + ${position} * ${stride}]`;
  if (op === 'sum') {
    lines.push('let total = 0.0;', `for (let position = 0; position < ${length}; position++) {`, `  total += ${read('position')};`, '}', 'return total;');
  } else {
    const better = op === 'max' || op === 'argmax' ? '>' : '<';
    const empty = op === 'max' ? `-${positiveInfinity}` : op === 'min' ? positiveInfinity : '0.0';
    lines.push(
      `if (${length} === 0) { return ${empty}; }`,
      `let best = ${read('0')};`,
      'let bestIndex = 0.0;',
      'let found = best !== best ? 1.0 : 0.0;',
      `for (let position = 1; position < ${length}; position++) {`,
      '  if (found === 0.0) {',
      `    const value = ${read('position')};`,
      `    if (value ${better} best || value !== value) {`,
      '      best = value;',
      '      bestIndex = position;',
      '      found = value !== value ? 1.0 : 0.0;',
      '    }',
      '  }',
      '}',
      op === 'argmax' || op === 'argmin' ? 'return bestIndex;' : 'return best;',
    );
  }
  return builder.build(`reduce.${op}`, lines.join('\n'), sizeOf(x.shape.filter((_, dimension) => dimension !== axis)));
}

/**
 * Row statistics for softmax over the last axis: for row `r`, element `2r` is the row's max and
 * `2r + 1` the sum of `exp(x - max)`. A row of -Infinity gets max -Infinity and sum 0.
 */
export function softmaxStatsProgram(x: View, infinity: number): Program {
  const builder = new ProgramBuilder();
  const { array, offset } = builder.view(x, 'x');
  const positiveInfinity = builder.float('positiveInfinity', infinity);
  const axis = x.shape.length - 1;
  const lines = ['const which = this.thread.x % 2;', 'const row = (this.thread.x - which) / 2;'];
  const { length, stride } = rowStart(builder, x, axis, offset, 'row', lines);
  lines.push(
    `let best = -${positiveInfinity};`,
    `for (let position = 0; position < ${length}; position++) {`,
    `  best = Math.max(best, ${array}[start + position * ${stride}]);`,
    '}',
    'if (which === 0) { return best; }',
    `if (best === -${positiveInfinity}) { return 0.0; }`,
    'let total = 0.0;',
    // gpu.js's cpu mode hoists loop variables: each loop needs its own name.
    `for (let second = 0; second < ${length}; second++) {`,
    `  total += Math.exp(${array}[start + second * ${stride}] - best);`,
    '}',
    'return total;',
  );
  return builder.build('softmax.stats', lines.join('\n'), sizeOf(x.shape.slice(0, -1)) * 2);
}

/** Softmax (or log-softmax) over the last axis from the statistics of {@link softmaxStatsProgram}. */
export function softmaxApplyProgram(x: View, stats: View, log: boolean, infinity: number): Program {
  const builder = new ProgramBuilder();
  const { array, offset } = builder.view(x, 'x');
  const statsData = builder.view(stats, 'stats');
  const positiveInfinity = builder.float('positiveInfinity', infinity);
  const axis = x.shape.length - 1;
  const lines = ['const index = this.thread.x;'];
  const columns = builder.integer('columns', x.shape[axis]);
  lines.push(divide('index', columns, 'row', 'column'));
  const { stride } = rowStart(builder, x, axis, offset, 'row', lines);
  lines.push(
    `const best = ${statsData.array}[${statsData.offset} + row * 2];`,
    `const total = ${statsData.array}[${statsData.offset} + row * 2 + 1];`,
    `const value = ${array}[start + column * ${stride}];`,
  );
  if (log) {
    lines.push(`if (best === -${positiveInfinity}) { return -${positiveInfinity}; }`, 'return value - best - Math.log(total);');
  } else {
    lines.push(`if (best === -${positiveInfinity}) { return 0.0; }`, 'return Math.exp(value - best) / total;');
  }
  return builder.build(log ? 'logSoftmax' : 'softmax', lines.join('\n'), sizeOf(x.shape));
}
