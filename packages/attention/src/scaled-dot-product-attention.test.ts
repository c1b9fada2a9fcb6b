import { Generator, HeedError, ShapeError, ValueError, randn, tensor, zeros, type Tensor } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { causalAllows, expectFinite, expectGradients, plainAttention } from '../test/plain-attention.js';
import { causalMask, paddingMask, repeatKeyValueHeads, scaledDotProductAttention } from './index.js';

const generator = new Generator(31);
const r = (...shape: number[]): Tensor => randn(shape, { generator });

type MaskKind = 'none' | 'padding' | 'full' | 'additive';

describe('scaledDotProductAttention against a plain reference', () => {
  it('agrees over random shapes, masks (bool, padding, additive) and causal, including L > S', () => {
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 2 }),
          heads: fc.integer({ min: 1, max: 3 }),
          queries: fc.integer({ min: 1, max: 6 }),
          keys: fc.integer({ min: 1, max: 6 }),
          depth: fc.integer({ min: 1, max: 4 }),
          valueDepth: fc.integer({ min: 1, max: 3 }),
          causal: fc.boolean(),
          maskKind: fc.constantFrom<MaskKind>('none', 'padding', 'full', 'additive'),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        ({ batch, heads, queries, keys, depth, valueDepth, causal, maskKind, seed }) => {
          const random = new Generator(seed);
          const [query, key, value] = [[batch, heads, queries, depth], [batch, heads, keys, depth], [batch, heads, keys, valueDepth]].map((shape) => randn(shape, { generator: random }));
          const lengths = Array.from({ length: batch }, () => random.nextInt(0, keys + 1));
          const keepAll = Array.from({ length: batch * heads * queries * keys }, () => random.nextFloat() < 0.7);
          const biasAll = Array.from({ length: queries * keys }, () => (random.nextFloat() < 0.2 ? -Infinity : random.nextNormal()));
          let mask: Tensor | null = null;
          if (maskKind === 'padding') mask = paddingMask(lengths, keys);
          if (maskKind === 'full') mask = tensor(keepAll.map(Number), { shape: [batch, heads, queries, keys], dtype: 'bool' });
          if (maskKind === 'additive') mask = tensor(Float32Array.from(biasAll), { shape: [queries, keys] });
          const { output, weights } = scaledDotProductAttention(query, key, value, { mask, causal, returnWeights: true });
          const causalRule = causalAllows(queries, keys);
          const want = plainAttention({
            query: query.dataSync(),
            key: key.dataSync(),
            value: value.dataSync(),
            shape: { batches: batch * heads, queries, keys, depth, valueDepth },
            scale: 1 / Math.sqrt(depth),
            allowed: (n, i, j) => {
              if (causal && !causalRule(i, j)) return false;
              if (maskKind === 'padding') return j < lengths[Math.floor(n / heads)];
              if (maskKind === 'full') return keepAll[(n * queries + i) * keys + j];
              if (maskKind === 'additive') return biasAll[i * keys + j] !== -Infinity;
              return true;
            },
            bias: (_, i, j) => (maskKind === 'additive' ? biasAll[i * keys + j] : 0),
          });
          assertAllclose(output, want.output, { abs: 1e-5, rel: 1e-4 });
          assertAllclose(weights, want.weights, { abs: 1e-5, rel: 1e-4 });
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('scaledDotProductAttention', () => {
  it('gives zero output, zero weights and zero, finite gradients on rows with no allowed key', () => {
    // L = 4 > S = 2 with causal: the first two queries see no key; batch 1 also pads everything.
    const [query, key, value] = [r(2, 1, 4, 3), r(2, 1, 2, 3), r(2, 1, 2, 2)].map((x) => x.requiresGrad_());
    const { output, weights } = scaledDotProductAttention(query, key, value, { causal: true, mask: paddingMask([2, 0], 2), returnWeights: true });
    const rows = output.toArray() as number[][][][];
    expect(rows[0][0].slice(0, 2)).toEqual([[0, 0], [0, 0]]);
    expect(rows[1][0].flat().every((x) => x === 0)).toBe(true);
    expect((weights.toArray() as number[][][][])[0][0][0]).toEqual([0, 0]);
    output.mul(r(2, 1, 4, 2)).sum().backward();
    for (const leaf of [query, key, value]) expectFinite(leaf.grad!.dataSync());
    expect(Array.from(query.grad!.dataSync().slice(0, 6))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(query.grad!.dataSync().slice(12))).toEqual(new Array(12).fill(0));
  });

  it('passes finite-difference gradient checks with a mask, causal (L > S) and a custom scale', () => {
    expectGradients((q, k, v) => scaledDotProductAttention(q, k, v, { causal: true }), [r(1, 2, 4, 3), r(1, 2, 3, 3), r(1, 2, 3, 2)]);
    const keep = tensor([[true, false, true], [true, true, false]]);
    expectGradients((q, k, v, bias) => scaledDotProductAttention(q, k, v, { mask: keep, scale: 0.7 }).add(scaledDotProductAttention(q, k, v, { mask: bias })), [r(2, 2, 3), r(2, 3, 3), r(2, 3, 2), r(2, 3)]);
  });

  it('implements grouped-query attention as repeated key/value heads', () => {
    const [query, key, value] = [r(2, 4, 3, 5), r(2, 2, 6, 5), r(2, 2, 6, 4)];
    const grouped = scaledDotProductAttention(query, key, value, { enableGqa: true, causal: true });
    const repeated = scaledDotProductAttention(query, repeatKeyValueHeads(key, 2), repeatKeyValueHeads(value, 2), { causal: true });
    assertAllclose(grouped, repeated.dataSync(), { abs: 0, rel: 0 });
    const manual = scaledDotProductAttention(query.slice(1, 3, 4), key.slice(1, 1, 2), value.slice(1, 1, 2), { causal: true });
    assertAllclose(grouped.slice(1, 3, 4), manual.dataSync(), { abs: 1e-6, rel: 1e-6 });
    expect(() => scaledDotProductAttention(query, key, value)).toThrow(/enableGqa/);
    expect(() => scaledDotProductAttention(r(1, 3, 2, 4), r(1, 2, 2, 4), r(1, 2, 2, 4), { enableGqa: true })).toThrow(/Hkv dividing the 3 query heads/);
  });

  it('applies dropout to the weights only in training, reproducibly with a generator', () => {
    const [query, key, value] = [r(1, 4, 3), r(1, 5, 3), r(1, 5, 2)];
    const run = (training: boolean) => scaledDotProductAttention(query, key, value, { dropout: 0.5, training, generator: new Generator(9), returnWeights: true });
    const dropped = run(true);
    expect(run(true).weights.toArray()).toEqual(dropped.weights.toArray());
    const plain = scaledDotProductAttention(query, key, value, { returnWeights: true });
    const zeroed = dropped.weights.dataSync().filter((x) => x === 0).length;
    expect(zeroed).toBeGreaterThan(0);
    dropped.weights.dataSync().forEach((x, index) => x !== 0 && expect(x).toBeCloseTo(2 * plain.weights.dataSync()[index], 5));
    assertAllclose(run(false).output, plain.output.dataSync(), { abs: 0, rel: 0 });
  });

  it('accepts a causal mask given explicitly and combines it with `causal`', () => {
    const [query, key, value] = [r(1, 3, 2), r(1, 5, 2), r(1, 5, 2)];
    const explicit = scaledDotProductAttention(query, key, value, { mask: causalMask(3, 5) });
    assertAllclose(explicit, scaledDotProductAttention(query, key, value, { causal: true }).dataSync(), { abs: 0, rel: 0 });
  });

  it('raises HeedErrors that name the argument and the shapes', () => {
    const [query, key, value] = [r(2, 3, 4), r(2, 5, 4), r(2, 5, 6)];
    expect(() => scaledDotProductAttention(query, r(2, 5, 3), value)).toThrow(/argument key: expected shape \[\.\.\., S, D = 4\], got \[2, 5, 3\]/);
    expect(() => scaledDotProductAttention(query, key, r(2, 4, 6))).toThrow(/argument value: .*key and value lengths differ/);
    expect(() => scaledDotProductAttention(query, key, value, { mask: zeros([3, 4], { dtype: 'bool' }) })).toThrow(ShapeError);
    expect(() => scaledDotProductAttention(query, key, value, { mask: zeros([3, 4], { dtype: 'bool' }) })).toThrow(/scaledDotProductAttention: argument mask: expected shape broadcastable to \[\.\.\., L, S\] = \[2, 3, 5\], got \[3, 4\]/);
    expect(() => scaledDotProductAttention(query, key, value, { dropout: 1.5 })).toThrow(ValueError);
    expect(() => scaledDotProductAttention(r(4), key, value)).toThrow(HeedError);
  });
});
