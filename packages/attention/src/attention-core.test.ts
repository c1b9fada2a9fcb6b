import { Generator, ShapeError, ValueError, DTypeError, concat, randn, tensor, zeros, type Tensor } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { MultiHeadAttention, alibiSlopes, linearAttention, resolveAttentionCore, scaledDotProductAttention, type AttentionCore } from './index.js';

const generator = new Generator(77);
const r = (...shape: number[]): Tensor => randn(shape, { generator });
const close = { abs: 2e-5, rel: 1e-4 };

/** Two MHAs with the same weights: one dense, one with `core`. */
function pair(core: AttentionCore, heads = 2, width = 8): [MultiHeadAttention, MultiHeadAttention] {
  const dense = new MultiHeadAttention(width, heads, { generator: new Generator(3) });
  const other = new MultiHeadAttention(width, heads, { attentionCore: core });
  other.loadStateDict(dense.stateDict());
  return [dense, other];
}

describe('MultiHeadAttention attention cores', () => {
  it('memory-efficient equals dense with causal, padding and bool masks, values and gradients', () => {
    const [dense, efficient] = pair('memory-efficient');
    const x = r(2, 5, 8);
    const padding = tensor([[false, false, false, true, true], [false, false, false, false, false]]);
    const attnMask = tensor(Array.from({ length: 25 }, (_, index) => index % 7 === 3), { shape: [5, 5], dtype: 'bool' });
    for (const options of [{ causal: true }, { keyPaddingMask: padding }, { causal: true, keyPaddingMask: padding, attnMask }]) {
      const inputs = [x.detach().requiresGrad_(), x.detach().requiresGrad_()];
      const want = dense.forward(inputs[0], inputs[0], inputs[0], { ...options, needWeights: false });
      const got = efficient.forward(inputs[1], inputs[1], inputs[1], options);
      expect(got.weights).toBeNull();
      assertAllclose(got.output, want.output.dataSync(), close);
      want.output.mul(r(2, 5, 8)).sum().backward();
      got.output.mul(r(2, 5, 8)).sum().backward();
    }
  });

  it('memory-efficient gives the dense gradients', () => {
    const [dense, efficient] = pair('memory-efficient');
    const seed = r(2, 4, 8);
    const grads = [dense, efficient].map((module) => {
      const x = r(2, 4, 8).mul(0).add(seed).requiresGrad_();
      module.forward(x, x, x, { causal: true, needWeights: false }).output.mul(seed).sum().backward();
      return [x.grad!, module.inProjWeight!.grad!];
    });
    assertAllclose(grads[1][0], grads[0][0].dataSync(), close);
    assertAllclose(grads[1][1], grads[0][1].dataSync(), close);
  });

  it('local equals dense attention restricted to the window', () => {
    const [dense, local] = pair({ kind: 'local', window: 2 });
    const x = r(1, 6, 8);
    // Reach 2: query i sees keys j with |i − j| < 2; with causal, j ∈ {i − 1, i}.
    const outside = (bothSides: boolean): Tensor =>
      tensor(Array.from({ length: 36 }, (_, index) => {
        const [i, j] = [Math.floor(index / 6), index % 6];
        return bothSides ? Math.abs(i - j) >= 2 : i - j >= 2;
      }), { shape: [6, 6], dtype: 'bool' });
    assertAllclose(local.forward(x, x, x).output, dense.forward(x, x, x, { attnMask: outside(true) }).output.dataSync(), close);
    assertAllclose(local.forward(x, x, x, { causal: true }).output, dense.forward(x, x, x, { causal: true, attnMask: outside(false) }).output.dataSync(), close);
  });

  it('linear runs linearAttention per head on the projected inputs', () => {
    const [, linear] = pair({ kind: 'linear' }, 2, 8);
    const x = r(2, 5, 8);
    const [q, k, v] = [0, 1, 2].map((part) => linear.inProjWeight!.slice(0, part * 8, part * 8 + 8));
    const heads = (w: Tensor): Tensor => x.matmul(w.transpose(0, 1)).reshape([2, 5, 2, 4]).transpose(1, 2);
    const attended = linearAttention(heads(q), heads(k), heads(v), { causal: true });
    const merged = attended.transpose(1, 2).reshape([2, 5, 8]);
    const want = merged.matmul(linear.outProj.weight.transpose(0, 1)).add(linear.outProj.bias!);
    assertAllclose(linear.forward(x, x, x, { causal: true }).output, want.dataSync(), close);
  });

  it('refuses what a core cannot do, naming the option', () => {
    const x = r(1, 3, 8);
    const efficient = new MultiHeadAttention(8, 2, { attentionCore: 'memory-efficient' });
    expect(() => efficient.forward(x, x, x, { needWeights: true })).toThrow(/argument needWeights: .*needs attentionCore 'dense'/);
    expect(() => new MultiHeadAttention(8, 2, { attentionCore: 'memory-efficient', dropout: 0.5 }).forward(x)).toThrow(/argument dropout/);
    expect(() => new MultiHeadAttention(8, 2, { attentionCore: 'memory-efficient', alibi: true }).forward(x)).toThrow(/argument alibi/);
    expect(() => efficient.forward(x, x, x, { attnMask: zeros([3, 3]) })).toThrow(DTypeError);
    const linear = new MultiHeadAttention(8, 2, { attentionCore: { kind: 'linear' } });
    expect(() => linear.forward(x, x, x, { attnMask: zeros([3, 3], { dtype: 'bool' }) })).toThrow(/argument attnMask: the 'linear' core takes only/);
    expect(() => resolveAttentionCore('op', 'flash' as AttentionCore)).toThrow(ValueError);
    expect(() => resolveAttentionCore('op', { kind: 'local' } as unknown as AttentionCore)).toThrow(/needs a window/);
    expect(() => efficient.forward(r(1, 3, 6))).toThrow(ShapeError);
  });
});

describe('MultiHeadAttention with ALiBi', () => {
  it('penalises distance in both directions without a causal mask', () => {
    // Zero projections make every score 0, so the weights are softmax(ALiBi bias) alone.
    const mha = new MultiHeadAttention(4, 2, { alibi: true });
    mha.loadStateDict({ ...mha.stateDict(), in_proj_weight: zeros([12, 4]) });
    const x = r(1, 5, 4);
    const weights = mha.forward(x, x, x, { averageAttnWeights: false }).weights!.toArray() as number[][][][];
    const slopes = alibiSlopes(2);
    for (let head = 0; head < 2; head++) {
      const middle = weights[0][head][2];
      expect(middle[1]).toBeCloseTo(middle[3], 6); // symmetric around the query
      expect(Math.max(...middle)).toBe(middle[2]); // the query's own position weighs most
      expect(Math.log(middle[2] / middle[0])).toBeCloseTo(2 * slopes[head], 5);
    }
  });

  it('keeps the causal ALiBi of the paper on the allowed keys', () => {
    const mha = new MultiHeadAttention(4, 2, { alibi: true });
    mha.loadStateDict({ ...mha.stateDict(), in_proj_weight: zeros([12, 4]) });
    const x = r(1, 4, 4);
    const weights = mha.forward(x, x, x, { causal: true, averageAttnWeights: false }).weights!.toArray() as number[][][][];
    const slope = alibiSlopes(2)[0];
    const row = weights[0][0][3];
    const expected = [0, 1, 2, 3].map((j) => Math.exp(slope * (j - 3)));
    const total = expected.reduce((a, b) => a + b);
    expected.forEach((value, j) => expect(row[j]).toBeCloseTo(value / total, 6));
  });

  it('continues with a key/value cache exactly as the full causal pass', () => {
    const mha = new MultiHeadAttention(8, 2, { alibi: true, generator: new Generator(5) });
    const x = r(1, 4, 8);
    const full = mha.forward(x, x, x, { causal: true }).output;
    const cache = mha.createCache();
    const steps = [0, 1, 2, 3].map((t) => mha.forward(x.slice(1, t, t + 1), undefined, undefined, { causal: true, cache }).output);
    assertAllclose(concat(steps, 1), full.dataSync(), close);
  });
});

describe('attention without weights runs flashAttention', () => {
  it('scaledDotProductAttention gives the dense result and gradients when weights are not returned', () => {
    const [query, key, value] = [r(2, 2, 5, 4), r(2, 2, 7, 4), r(2, 2, 7, 3)];
    const keep = tensor(Array.from({ length: 70 }, (_, index) => index % 4 !== 2), { shape: [2, 1, 5, 7], dtype: 'bool' });
    for (const options of [{}, { causal: true }, { mask: keep }, { mask: keep, causal: true, scale: 0.3 }]) {
      const runs = [true, false].map((returnWeights) => {
        const inputs = [query, key, value].map((tensor) => tensor.detach().requiresGrad_());
        const output = returnWeights
          ? scaledDotProductAttention(inputs[0], inputs[1], inputs[2], { ...options, returnWeights: true }).output
          : scaledDotProductAttention(inputs[0], inputs[1], inputs[2], options);
        output.mul(r(2, 2, 5, 3).mul(0).add(0.7)).sum().backward();
        return [output, ...inputs.map((input) => input.grad!)];
      });
      runs[1].forEach((tensor, index) => assertAllclose(tensor, runs[0][index].dataSync(), close));
    }
  });

  it('MultiHeadAttention with needWeights false gives the same output as with weights', () => {
    const mha = new MultiHeadAttention(8, 2, { generator: new Generator(8) });
    const x = r(2, 5, 8);
    const padding = tensor([[false, false, false, true, true], [false, false, false, false, false]]);
    for (const options of [{ causal: true }, { keyPaddingMask: padding }, { keyPaddingMask: padding, causal: true }]) {
      const want = mha.forward(x, x, x, options).output;
      assertAllclose(mha.forward(x, x, x, { ...options, needWeights: false }).output, want.dataSync(), close);
    }
  });
});

describe('the dense core without weights', () => {
  it('runs the same kernel as the memory-efficient core: bit-identical outputs and gradients', () => {
    const [dense, efficient] = pair('memory-efficient');
    const runs = [dense, efficient].map((module) => {
      const x = r(2, 6, 8).mul(0).add(1).mul(tensor(Array.from({ length: 96 }, (_, index) => Math.sin(index)), { shape: [2, 6, 8] })).requiresGrad_();
      const { output } = module.forward(x, x, x, { causal: true, needWeights: false });
      output.square().sum().backward();
      return [output.dataSync(), x.grad!.dataSync(), module.inProjWeight!.grad!.dataSync()];
    });
    runs[0].forEach((values, index) => expect(Array.from(values)).toEqual(Array.from(runs[1][index])));
  });
});
