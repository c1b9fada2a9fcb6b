import { Generator, ShapeError, ValueError, randn, tensor, type Tensor } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { expectGradients, plainAttention } from '../../test/plain-attention.js';
import {
  LearnedPositionalEmbedding,
  RotaryEmbedding,
  SinusoidalPositionalEncoding,
  alibiBias,
  alibiSlopes,
  applyRotaryEmbedding,
  scaledDotProductAttention,
  sinusoidalPositionalEncoding,
} from '../index.js';

const generator = new Generator(61);
const r = (...shape: number[]): Tensor => randn(shape, { generator });
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((total, value, index) => total + value * b[index], 0);

describe('sinusoidal positions', () => {
  it('follow sin(p / 10000^(2i/D)) and cos(p / 10000^(2i/D))', () => {
    const table = sinusoidalPositionalEncoding(5, 6).toArray() as number[][];
    for (let p = 0; p < 5; p++) {
      for (let i = 0; i < 3; i++) {
        expect(table[p][2 * i]).toBeCloseTo(Math.sin(p / 10000 ** ((2 * i) / 6)), 6);
        expect(table[p][2 * i + 1]).toBeCloseTo(Math.cos(p / 10000 ** ((2 * i) / 6)), 6);
      }
    }
    assertAllclose(sinusoidalPositionalEncoding(2, 6, { offset: 3 }), sinusoidalPositionalEncoding(5, 6).slice(0, 3, 5).dataSync(), { abs: 1e-7, rel: 0 });
    expect(sinusoidalPositionalEncoding(2, 5).shape).toEqual([2, 5]);
  });

  it('are added by the module, continuing from an offset', () => {
    const positions = new SinusoidalPositionalEncoding(4);
    const x = r(2, 3, 4);
    assertAllclose(positions.forward(x), x.add(sinusoidalPositionalEncoding(3, 4)).dataSync(), { abs: 1e-7, rel: 0 });
    assertAllclose(positions.forward(x, 7), x.add(sinusoidalPositionalEncoding(3, 4, { offset: 7 })).dataSync(), { abs: 1e-7, rel: 0 });
    expect(() => positions.forward(r(2, 3, 5))).toThrow(ShapeError);
    expect(() => sinusoidalPositionalEncoding(2, 0)).toThrow(ValueError);
  });
});

describe('LearnedPositionalEmbedding', () => {
  it('adds trainable rows from the offset and refuses positions past maxLength', () => {
    const positions = new LearnedPositionalEmbedding(6, 3, { generator: new Generator(1) });
    expect(positions.weight.shape).toEqual([6, 3]);
    const x = r(2, 2, 3);
    const out = positions.forward(x, 4);
    assertAllclose(out, x.add(positions.weight.slice(0, 4, 6)).dataSync(), { abs: 0, rel: 0 });
    out.sum().backward();
    expect(Array.from(positions.weight.grad!.dataSync())).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2]);
    expect(() => positions.forward(x, 5)).toThrow(/exceed maxLength 6/);
  });
});

describe('rotary embedding', () => {
  it('makes q·k depend only on the distance between positions', () => {
    for (const interleaved of [false, true]) {
      const [q, k] = [r(1, 1, 8), r(1, 1, 8)];
      const at = (x: Tensor, position: number): Float32Array => applyRotaryEmbedding(x, { offset: position, interleaved }).dataSync() as Float32Array;
      const near = dot(at(q, 3), at(k, 1));
      expect(dot(at(q, 10), at(k, 8))).toBeCloseTo(near, 4);
      expect(dot(at(q, 2), at(k, 0))).toBeCloseTo(near, 4);
      expect(dot(at(q, 0), at(k, 0))).toBeCloseTo(dot(q.dataSync(), k.dataSync()), 5);
      expect(Math.hypot(...at(q, 5))).toBeCloseTo(Math.hypot(...q.dataSync()), 5);
    }
  });

  it('rotates pairs as the papers define: halves (NeoX/Llama) or adjacent pairs (RoFormer/GPT-J)', () => {
    const x = tensor([[[1, 2, 3, 4]]]);
    const angle = [1, 1 / 100]; // position 1, θ_i = 10000^(-2i/4)
    const half = applyRotaryEmbedding(x, { offset: 1 }).dataSync();
    assertAllclose(tensor(Array.from(half)), [
      Math.cos(angle[0]) - 3 * Math.sin(angle[0]),
      2 * Math.cos(angle[1]) - 4 * Math.sin(angle[1]),
      Math.sin(angle[0]) + 3 * Math.cos(angle[0]),
      2 * Math.sin(angle[1]) + 4 * Math.cos(angle[1]),
    ], { abs: 1e-6, rel: 1e-5 });
    const pairs = applyRotaryEmbedding(x, { offset: 1, interleaved: true }).dataSync();
    assertAllclose(tensor(Array.from(pairs)), [
      Math.cos(angle[0]) - 2 * Math.sin(angle[0]),
      Math.sin(angle[0]) + 2 * Math.cos(angle[0]),
      3 * Math.cos(angle[1]) - 4 * Math.sin(angle[1]),
      3 * Math.sin(angle[1]) + 4 * Math.cos(angle[1]),
    ], { abs: 1e-6, rel: 1e-5 });
  });

  it('passes a gradient check and continues from an offset', () => {
    expectGradients((x) => applyRotaryEmbedding(x, { offset: 2 }), [r(2, 3, 4)]);
    expectGradients((x) => applyRotaryEmbedding(x, { interleaved: true }), [r(1, 3, 4)]);
    const x = r(1, 2, 5, 6);
    const rope = new RotaryEmbedding(6);
    assertAllclose(rope.forward(x.slice(2, 3, 5), 3), rope.forward(x).slice(2, 3, 5).dataSync(), { abs: 1e-6, rel: 1e-5 });
    expect(() => applyRotaryEmbedding(r(1, 2, 5))).toThrow(/D even/);
    expect(() => new RotaryEmbedding(5)).toThrow(ValueError);
    expect(() => rope.forward(r(1, 2, 4))).toThrow(ShapeError);
  });
});

describe('ALiBi', () => {
  it('uses the paper’s slopes, including for head counts that are not powers of two', () => {
    expect(alibiSlopes(8)).toEqual([1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 128, 1 / 256]);
    expect(alibiSlopes(6)).toEqual([1 / 4, 1 / 16, 1 / 64, 1 / 256, 1 / 2, 1 / 8]);
    expect(alibiSlopes(1)).toEqual([1 / 256]);
    expect(() => alibiSlopes(0)).toThrow(ValueError);
  });

  it('penalises distance linearly, aligned bottom-right so decoding with a cache continues it', () => {
    const bias = alibiBias(2, 3).toArray() as number[][][];
    expect(bias[0]).toEqual([[0, 0.0625, 0.125], [-0.0625, 0, 0.0625], [-0.125, -0.0625, 0]]);
    expect(bias[1][2]).toEqual([-2 / 256, -1 / 256, 0]);
    const lastRow = alibiBias(4, 5, 5).slice(1, 4, 5);
    assertAllclose(alibiBias(4, 1, 5), lastRow.dataSync(), { abs: 0, rel: 0 });
    expect((alibiBias(1, 2, 2, { symmetric: true }).toArray() as number[][][])[0]).toEqual([[0, -1 / 256], [-1 / 256, 0]]);
  });

  it('works as an additive mask with causal attention', () => {
    const [query, key, value] = [r(1, 2, 3, 4), r(1, 2, 5, 4), r(1, 2, 5, 2)];
    const bias = alibiBias(2, 3, 5);
    const got = scaledDotProductAttention(query, key, value, { mask: bias, causal: true });
    const table = bias.dataSync();
    const want = plainAttention({
      query: query.dataSync(),
      key: key.dataSync(),
      value: value.dataSync(),
      shape: { batches: 2, queries: 3, keys: 5, depth: 4, valueDepth: 2 },
      scale: 0.5,
      allowed: (_, i, j) => j <= i + 2,
      bias: (n, i, j) => table[(n * 3 + i) * 5 + j],
    });
    assertAllclose(got, want.output, { abs: 1e-5, rel: 1e-4 });
  });
});
