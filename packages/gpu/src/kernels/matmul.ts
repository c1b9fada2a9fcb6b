import type { View } from '@heed/tensor';
import { ProgramBuilder, divide, type Program } from '../program.js';

/**
 * Batched matrix product `a` [B, M, K] × `b` [B, K, N] → [B, M, N]. One thread per output
 * element; sizes and strides are parameters, so transposed operands and broadcast batches
 * (stride 0) need no copy and one compiled kernel serves every shape. The inner loop takes four
 * steps at a time, then the remainder.
 */
export function matmulProgram(a: View, b: View): Program {
  const builder = new ProgramBuilder();
  const left = builder.view(a, 'a');
  const right = builder.view(b, 'b');
  const [batches, rows, depth] = a.shape;
  const columns = b.shape[2];
  const [rowCount, columnCount] = [builder.integer('rows', rows), builder.integer('columns', columns)];
  const [aBatch, aRow, aInner] = builder.integers('aStride', a.strides);
  const [bBatch, bInner, bColumn] = builder.integers('bStride', b.strides);
  const unrolled = builder.integer('unrolled', depth - (depth % 4));
  const tail = builder.integer('tail', depth % 4);
  const product = (step: string): string => `${left.array}[aStart + (${step}) * ${aInner}] * ${right.array}[bStart + (${step}) * ${bInner}]`;
  const lines = [
    'const index = this.thread.x;',
    divide('index', columnCount, 'rest', 'column'),
    divide('rest', rowCount, 'batch', 'row'),
    `const aStart = ${left.offset} + batch * ${aBatch} + row * ${aRow};`,
    `const bStart = ${right.offset} + batch * ${bBatch} + column * ${bColumn};`,
    'let total = 0.0;',
    `for (let inner = 0; inner < ${unrolled}; inner += 4) {`,
    `  total += ${['inner', 'inner + 1', 'inner + 2', 'inner + 3'].map(product).join(' + ')};`,
    '}',
    `for (let remainder = 0; remainder < ${tail}; remainder++) {`,
    `  total += ${product(`${unrolled} + remainder`)};`,
    '}',
    'return total;',
  ];
  return builder.build('matmul', lines.join('\n'), batches * rows * columns);
}
