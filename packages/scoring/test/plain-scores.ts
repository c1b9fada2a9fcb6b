// Plain-loop reference implementations of the scores, for tests: no tensor ops, float64, and
// written from the formulas, so they share no code with the library.
import type { Tensor } from '@heed/tensor';
import { gradcheck, type GradcheckOptions } from '@heed/tensor/testing';
import { expect } from 'vitest';

/** A [batch, rows, depth] array read from a row-major buffer. */
export type Cube = number[][][];

export function toCube(data: ArrayLike<number>, shape: readonly number[]): Cube {
  const [batch, rows, depth] = shape as [number, number, number];
  return Array.from({ length: batch }, (_, b) =>
    Array.from({ length: rows }, (_, r) => Array.from({ length: depth }, (_, d) => data[(b * rows + r) * depth + d])),
  );
}

export function flat(cube: Cube): number[] {
  return cube.flat(2);
}

const dot = (a: number[], b: number[]): number => a.reduce((total, value, index) => total + value * b[index], 0);
const matVec = (matrix: number[][], vector: number[]): number[] => matrix.map((row) => dot(row, vector));

export function plainScores(
  kind: 'dot' | 'scaledDot' | 'cosine' | 'general' | 'additive',
  query: Cube,
  key: Cube,
  parameters: { weight?: number[][]; queryWeight?: number[][]; keyWeight?: number[][]; v?: number[]; bias?: number[]; eps?: number } = {},
): Cube {
  return query.map((queries, b) =>
    queries.map((q) =>
      key[b].map((k) => {
        switch (kind) {
          case 'dot':
            return dot(q, k);
          case 'scaledDot':
            return dot(q, k) / Math.sqrt(q.length);
          case 'cosine': {
            const eps = parameters.eps ?? 1e-8;
            return dot(q, k) / (Math.max(Math.sqrt(dot(q, q)), eps) * Math.max(Math.sqrt(dot(k, k)), eps));
          }
          case 'general':
            return dot(q, matVec(parameters.weight!, k));
          case 'additive': {
            const projectedQuery = matVec(parameters.queryWeight!, q);
            const projectedKey = matVec(parameters.keyWeight!, k);
            const hidden = projectedQuery.map((value, a) => Math.tanh(value + projectedKey[a] + (parameters.bias?.[a] ?? 0)));
            return dot(parameters.v!, hidden);
          }
        }
      }),
    ),
  );
}


/** Asserts that autograd agrees with central finite differences, showing the worst element on failure. */
export function expectGradients(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradcheckOptions = {}): void {
  const result = gradcheck(fn, inputs, options);
  expect(result.ok, result.message).toBe(true);
}
