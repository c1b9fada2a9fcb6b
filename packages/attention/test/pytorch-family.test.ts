import { readFileSync } from 'node:fs';
import { Tensor, tensor } from '@heed/tensor';
import { generalScore } from '@heed/scoring';
import { assertAllclose } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { entmax15Weights, localAttentionWeights, monotonicAlignment } from '../src/index.js';

// PyTorch's numbers for the attention family (fixtures/generate-family.py): entmax-1.5 by the
// sort-based algorithm with gradients by autograd through the sort, monotonic attention by the
// cumprod parallel form, local-p attention. Gradients are of sum(output · seed).
interface FixtureArray {
  shape: number[];
  data: number[];
}
interface FixtureCase {
  name: string;
  op: 'entmax15' | 'monotonic' | 'local_p';
  attrs: { window?: number };
  inputs: Record<string, FixtureArray>;
  outputs: Record<string, FixtureArray>;
  seeds: Record<string, FixtureArray>;
  grads: Record<string, FixtureArray>;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/family.json', import.meta.url), 'utf8')) as { cases: FixtureCase[] };
const load = (array: FixtureArray): Tensor => Tensor.fromData(Float32Array.from(array.data), array.shape, 'float32').requiresGrad_();

function run(testCase: FixtureCase, inputs: Record<string, Tensor>): Record<string, Tensor> {
  switch (testCase.op) {
    case 'entmax15':
      return { weights: entmax15Weights(inputs.scores) };
    case 'monotonic':
      return { weights: monotonicAlignment(inputs.energy, { previousAlignment: inputs.previous }) };
    case 'local_p': {
      const { query, key, value, weight, positionWeight, positionVector } = inputs;
      const keys = key.shape[1];
      const position = query.matmul(positionWeight.transpose(0, 1)).tanh().matmul(positionVector.unsqueeze(-1)).squeeze(-1).sigmoid().mul(keys - 1);
      const weights = localAttentionWeights(generalScore(query, key, weight), position, { window: testCase.attrs.window ?? 1 });
      return { output: weights.matmul(value), weights, position };
    }
  }
}

describe('PyTorch reference cases for the attention family', () => {
  it('has cases', () => expect(fixture.cases.length).toBeGreaterThan(4));
  it.each(fixture.cases.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    const inputs = Object.fromEntries(Object.entries(testCase.inputs).map(([name, array]) => [name, load(array)]));
    const outputs = run(testCase, inputs);
    let total = tensor(0);
    for (const [name, want] of Object.entries(testCase.outputs)) {
      assertAllclose(outputs[name], want.data, { abs: 2e-6, rel: 1e-5 });
      total = total.add(outputs[name].mul(Tensor.fromData(Float32Array.from(testCase.seeds[name].data), want.shape, 'float32')).sum());
    }
    total.backward();
    for (const [name, want] of Object.entries(testCase.grads)) assertAllclose(inputs[name].grad ?? inputs[name].zerosLike(), want.data, { abs: 2e-5, rel: 1e-4 });
  });
});
