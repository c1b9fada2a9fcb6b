// A plain-loop attention for tests: float64, written from the definition, sharing no code with
// the library. Batch dimensions are flattened to N.
import type { Tensor } from '@heed/tensor';
import { gradcheck, type GradcheckOptions } from '@heed/tensor/testing';
import { expect } from 'vitest';

/** Asserts that autograd agrees with central finite differences, showing the worst element on failure. */
export function expectGradients(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradcheckOptions = {}): void {
  const result = gradcheck(fn, inputs, options);
  expect(result.ok, result.message).toBe(true);
}

/** Asserts that no element is NaN or infinite. */
export function expectFinite(values: ArrayLike<number>): void {
  for (let index = 0; index < values.length; index++) {
    if (!Number.isFinite(values[index])) expect.fail(`element ${index} is ${values[index]}`);
  }
}

export interface PlainAttentionInput {
  /** [N, L, D] row-major. */
  query: ArrayLike<number>;
  /** [N, S, D]. */
  key: ArrayLike<number>;
  /** [N, S, Dv]. */
  value: ArrayLike<number>;
  shape: { batches: number; queries: number; keys: number; depth: number; valueDepth: number };
  scale: number;
  /** Whether query i of batch n may attend key j. */
  allowed: (n: number, i: number, j: number) => boolean;
  /** Additive bias for (n, i, j), default 0. */
  bias?: (n: number, i: number, j: number) => number;
}

/** softmax over allowed keys (a row with none gives zeros), then the weighted sum of values. */
export function plainAttention(input: PlainAttentionInput): { output: number[]; weights: number[] } {
  const { batches, queries, keys, depth, valueDepth } = input.shape;
  const output: number[] = [];
  const weights: number[] = [];
  for (let n = 0; n < batches; n++) {
    for (let i = 0; i < queries; i++) {
      const scores: number[] = [];
      for (let j = 0; j < keys; j++) {
        if (!input.allowed(n, i, j)) {
          scores.push(-Infinity);
          continue;
        }
        let total = 0;
        for (let d = 0; d < depth; d++) total += input.query[(n * queries + i) * depth + d] * input.key[(n * keys + j) * depth + d];
        scores.push(total * input.scale + (input.bias?.(n, i, j) ?? 0));
      }
      const top = Math.max(...scores);
      const exps = scores.map((score) => (top === -Infinity ? 0 : Math.exp(score - top)));
      const sum = exps.reduce((a, b) => a + b, 0);
      const row = exps.map((value) => (sum > 0 ? value / sum : 0));
      weights.push(...row);
      for (let d = 0; d < valueDepth; d++) {
        let total = 0;
        for (let j = 0; j < keys; j++) total += row[j] * input.value[(n * keys + j) * valueDepth + d];
        output.push(total);
      }
    }
  }
  return { output, weights };
}

/** Bottom-right causal rule: query i sees key j iff j <= i + S - L. */
export const causalAllows = (queries: number, keys: number) => (i: number, j: number): boolean => j <= i + keys - queries;
