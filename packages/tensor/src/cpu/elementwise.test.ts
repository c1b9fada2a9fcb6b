// The plain JS binary kernel's fast paths (dense, scalar and row operands on either side) give
// what the definition gives, element by element: these kernels are the reference every other
// backend is compared with, so they are checked against plain arithmetic here.
import { describe, expect, it } from 'vitest';
import { withBackend } from '../backend-registry.js';
import { add, div, maximum, mul, sub, where } from '../ops/elementwise.js';
import { Generator, randn } from '../random.js';
import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { cpuBackend } from './cpu-backend.js';

const reference = cpuBackend({ simd: false });
const ops: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number][] = [
  ['add', add, (x, y) => x + y],
  ['sub', sub, (x, y) => x - y],
  ['mul', mul, (x, y) => x * y],
  ['div', div, (x, y) => x / y],
  ['maximum', maximum, (x, y) => Math.max(x, y)],
];

/** [rows, columns] operands: 'dense', 'row' ([columns]), 'scalar' ([]) or 'column' ([rows, 1]). */
type Layout = 'dense' | 'row' | 'scalar' | 'column';
const shapes: Record<Layout, (rows: number, columns: number) => number[]> = {
  dense: (rows, columns) => [rows, columns],
  row: (_rows, columns) => [columns],
  scalar: () => [],
  column: (rows) => [rows, 1],
};

function element(values: Float32Array, layout: Layout, row: number, column: number, columns: number): number {
  if (layout === 'dense') return values[row * columns + column] ?? NaN;
  if (layout === 'row') return values[column] ?? NaN;
  if (layout === 'column') return values[row] ?? NaN;
  return values[0] ?? NaN;
}

describe('binary kernels on the plain JS backend', () => {
  const layouts: [Layout, Layout][] = [
    ['dense', 'dense'],
    ['dense', 'scalar'],
    ['scalar', 'dense'],
    ['dense', 'row'],
    ['row', 'dense'],
    ['column', 'dense'],
    ['row', 'column'],
  ];
  for (const [name, op, f] of ops) {
    for (const [left, right] of layouts) {
      it(`${name}: ${left} ∘ ${right} equals the elementwise definition`, () => {
        const generator = new Generator(7);
        const [rows, columns] = [5, 7];
        withBackend(reference, () => {
          const a = randn(shapes[left](rows, columns), { generator });
          const b = randn(shapes[right](rows, columns), { generator }).add(name === 'div' ? 3 : 0);
          const before = [Float32Array.from(a.dataSync()), Float32Array.from(b.dataSync())] as const;
          const result = op(a, b);
          expect(result.shape).toEqual([rows, columns]);
          const got = result.dataSync();
          for (let row = 0; row < rows; row++) {
            for (let column = 0; column < columns; column++) {
              const want = Math.fround(f(element(before[0], left, row, column, columns), element(before[1], right, row, column, columns)));
              expect(got[row * columns + column], `[${row}, ${column}]`).toBe(want);
            }
          }
          // Inputs are never written.
          expect(a.dataSync()).toEqual(before[0]);
          expect(b.dataSync()).toEqual(before[1]);
        });
      });
    }
  }

  it('handles a left operand that is a row of a larger tensor (offset views)', () => {
    withBackend(reference, () => {
      const matrix = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const secondRow = matrix.slice(0, 1, 2).reshape([3]);
      const dense = tensor([
        [10, 20, 30],
        [40, 50, 60],
      ]);
      expect(sub(secondRow, dense).toArray()).toEqual([
        [-6, -15, -24],
        [-36, -45, -54],
      ]);
      expect(mul(tensor(2), dense.transpose(0, 1)).toArray()).toEqual([
        [20, 80],
        [40, 100],
        [60, 120],
      ]);
    });
  });

  it('rank-3 broadcasts and transposed views ([B, T, 1] against [B, T, E], permuted operands) match the definition', () => {
    withBackend(reference, () => {
      const generator = new Generator(3);
      const [B, T, E] = [3, 4, 5];
      const dense = randn([B, T, E], { generator });
      const column = randn([B, T, 1], { generator }).add(3);
      const middle = randn([B, 1, E], { generator }).add(3);
      const transposed = randn([B, E, T], { generator }).add(3).transpose(1, 2);
      const d = dense.toArray() as number[][][];
      const c = column.toArray() as number[][][];
      const m = middle.toArray() as number[][][];
      const t = transposed.toArray() as number[][][];
      for (const [name, op, f] of ops) {
        const cases: [string, Tensor, Tensor, (b: number, i: number, e: number) => [number, number]][] = [
          ['dense ∘ column', dense, column, (b, i, e) => [d[b][i][e], c[b][i][0]]],
          ['column ∘ dense', column, dense, (b, i, e) => [c[b][i][0], d[b][i][e]]],
          ['dense ∘ middle', dense, middle, (b, i, e) => [d[b][i][e], m[b][0][e]]],
          ['transposed ∘ column', transposed, column, (b, i, e) => [t[b][i][e], c[b][i][0]]],
          ['dense ∘ transposed', dense, transposed, (b, i, e) => [d[b][i][e], t[b][i][e]]],
        ];
        for (const [label, x, y, pick] of cases) {
          const got = op(x, y).dataSync();
          for (let b = 0; b < B; b++) {
            for (let i = 0; i < T; i++) {
              for (let e = 0; e < E; e++) expect(got[(b * T + i) * E + e], `${name} ${label} [${b}, ${i}, ${e}]`).toBe(Math.fround(f(...pick(b, i, e))));
            }
          }
        }
      }
    });
  });

  it('where: dense, single-value and broadcast operands match the definition', () => {
    withBackend(reference, () => {
      const generator = new Generator(9);
      const [R, C] = [4, 6];
      const condition = randn([R, C], { generator }).gt(0);
      const columnCondition = randn([R, 1], { generator }).gt(0);
      const dense = randn([R, C], { generator });
      const other = randn([R, C], { generator });
      const scalar = tensor(7);
      const cases: [string, Tensor, Tensor, Tensor][] = [
        ['dense', condition, dense, other],
        ['scalar branch', condition, dense, scalar],
        ['scalar first branch', condition, scalar, other],
        ['broadcast condition', columnCondition, dense, other],
        ['transposed branch', condition, dense, randn([C, R], { generator }).transpose(0, 1)],
      ];
      for (const [label, c, x, y] of cases) {
        const got = where(c, x, y).toArray() as number[][];
        const [cv, xv, yv] = [c, x, y].map((t) => t.expand([R, C]).toArray() as number[][]);
        for (let r = 0; r < R; r++) for (let k = 0; k < C; k++) expect(got[r][k], `${label} [${r}, ${k}]`).toBe(cv[r][k] ? xv[r][k] : yv[r][k]);
      }
    });
  });
});
