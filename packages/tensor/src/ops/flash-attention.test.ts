import { describe, expect, it } from 'vitest';
import { Generator, flashAttention, randn, tensor, type Tensor } from '../index.js';
import { assertAllclose } from '../testing/index.js';

const generator = new Generator(12);
const r = (...shape: number[]): Tensor => randn(shape, { generator });

/** Plain float64 loops: softmax over the allowed keys, zero rows where none is allowed. */
function oracle(query: Tensor, key: Tensor, value: Tensor, allowed: (b: number, i: number, j: number) => boolean, scale: number): Float64Array {
  const [batch, queries, depth] = query.shape;
  const [keys, valueDepth] = [key.shape[1], value.shape[2]];
  const [q, k, v] = [query.dataSync(), key.dataSync(), value.dataSync()];
  const out = new Float64Array(batch * queries * valueDepth);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < queries; i++) {
      const scores = Array.from({ length: keys }, (_, j) => {
        if (!allowed(b, i, j)) return -Infinity;
        let dot = 0;
        for (let d = 0; d < depth; d++) dot += q[(b * queries + i) * depth + d] * k[(b * keys + j) * depth + d];
        return dot * scale;
      });
      const top = Math.max(...scores);
      if (top === -Infinity) continue;
      const weights = scores.map((score) => Math.exp(score - top));
      const total = weights.reduce((a, c) => a + c, 0);
      for (let e = 0; e < valueDepth; e++) {
        let sum = 0;
        for (let j = 0; j < keys; j++) sum += (weights[j] / total) * v[(b * keys + j) * valueDepth + e];
        out[(b * queries + i) * valueDepth + e] = sum;
      }
    }
  }
  return out;
}

describe('flashAttention', () => {
  const [query, key, value] = [r(2, 6, 4), r(2, 4, 4), r(2, 4, 3)];
  const mask = tensor(Array.from({ length: 8 }, (_, index) => index % 3 !== 1), { shape: [2, 1, 4], dtype: 'bool' });
  const cases: [string, Parameters<typeof flashAttention>[3], (b: number, i: number, j: number) => boolean][] = [
    ['no mask', {}, () => true],
    ['causal with L > S (first rows see nothing)', { causal: true }, (_b, i, j) => j <= i + 4 - 6],
    ['a key mask', { mask }, (b, _i, j) => (b * 4 + j) % 3 !== 1],
    ['a window', { window: [1, 0] }, (_b, i, j) => j >= i - 2 - 1 && j <= i - 2],
  ];
  for (const implementation of ['fused', 'composed'] as const) {
    for (const [name, options, allowed] of cases) {
      it(`${implementation}: ${name} matches a float64 loop`, () => {
        const { output, logSumExp } = flashAttention(query, key, value, { ...options, implementation, blockSize: 2 });
        assertAllclose(output, oracle(query, key, value, allowed, 0.5), { abs: 1e-5, rel: 1e-4 });
        expect(logSumExp.shape).toEqual([2, 6]);
      });
    }
  }

  it('fused and composed gradients agree, fully masked rows give zero gradients', () => {
    const grads = (['fused', 'composed'] as const).map((implementation) => {
      const inputs = [query, key, value].map((t) => t.detach().requiresGrad_());
      flashAttention(inputs[0], inputs[1], inputs[2], { causal: true, implementation }).output.sum().backward();
      return inputs.map((input) => input.grad!);
    });
    grads[0].forEach((gradient, index) => assertAllclose(gradient, grads[1][index].dataSync(), { abs: 1e-5, rel: 1e-4 }));
    expect(Array.from(grads[0][0].dataSync().slice(0, 8)).every((g) => g === 0)).toBe(true); // query rows 0 and 1 see no key
  });

  it('names bad arguments', () => {
    expect(() => flashAttention(query, r(2, 4, 5), value)).toThrow(/heed.flashAttention: argument key: expected shape \[2, S, 4\]/);
    expect(() => flashAttention(query, key, value, { mask: tensor([1, 0, 1, 1]) })).toThrow(/argument mask: expected dtype bool/);
    expect(() => flashAttention(query, key, value, { mask: tensor([true, false, true], { dtype: 'bool' }) })).toThrow(/argument mask: expected shape broadcastable to \[2, 6, 4\]/);
    expect(() => flashAttention(query, key, value, { window: [-1, 0] })).toThrow(/argument window/);
  });
});
