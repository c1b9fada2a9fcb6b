import { Generator, randn, type NestedArray, type Tensor } from '@heed/tensor';
import { compareArrays } from '@heed/tensor/testing';
import { expect } from 'vitest';

/** A seeded normal tensor scaled by `scale`. */
export function random(shape: number[], generator: Generator, scale = 1): Tensor {
  return randn(shape, { generator }).mul(scale).detach();
}

/** Expects two arrays (tensors or nested numbers) to agree within `tolerance`. */
export function expectClose(got: Tensor | NestedArray, want: Tensor | NestedArray, tolerance = 1e-5): void {
  const flat = (value: Tensor | NestedArray): number[] =>
    typeof value === 'object' && value !== null && 'dataSync' in value ? Array.from(value.dataSync(), Number) : ([value] as unknown[]).flat(Infinity as 1).map(Number);
  const result = compareArrays(flat(got), flat(want), { abs: tolerance, rel: tolerance });
  expect(result.ok, result.message).toBe(true);
}

/** The module's parameters as nested arrays keyed by name (for the scalar reference). */
export function nestedParameters(state: Record<string, Tensor>): Record<string, number[][] | number[]> {
  return Object.fromEntries(Object.entries(state).map(([name, tensor]) => [name, tensor.toArray() as number[][] | number[]]));
}

export { Generator };
