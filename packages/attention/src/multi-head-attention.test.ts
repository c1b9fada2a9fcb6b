import type { Tensor} from '@heed/tensor';
import { Generator, HeedError, ShapeError, ValueError, concat, noGrad, randn, tensor, zeros } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectFinite, expectGradients } from '../test/plain-attention.js';
import { KeyValueCache, MultiHeadAttention, RotaryEmbedding, multiHeadAttentionForward, paddingMask } from './index.js';

const generator = new Generator(51);
const r = (...shape: number[]): Tensor => randn(shape, { generator });
const shapes = (state: Record<string, Tensor>): Record<string, readonly number[]> => Object.fromEntries(Object.entries(state).map(([name, value]) => [name, value.shape]));
const close = { abs: 2e-5, rel: 1e-4 };

describe('MultiHeadAttention parameters', () => {
  it('uses PyTorch’s names, shapes and initialisation', () => {
    const mha = new MultiHeadAttention(8, 2, { generator: new Generator(1) });
    expect(shapes(mha.stateDict())).toEqual({ in_proj_weight: [24, 8], in_proj_bias: [24], 'out_proj.weight': [8, 8], 'out_proj.bias': [8] });
    const xavier = Math.sqrt(6 / (8 + 24));
    for (const value of mha.inProjWeight!.dataSync()) expect(Math.abs(value)).toBeLessThanOrEqual(xavier);
    expect(Math.max(...mha.inProjWeight!.dataSync())).toBeGreaterThan(xavier * 0.8);
    for (const value of mha.outProj.weight.dataSync()) expect(Math.abs(value)).toBeLessThanOrEqual(1 / Math.sqrt(8));
    expect([...mha.inProjBias!.dataSync(), ...mha.outProj.bias!.dataSync()].every((x) => x === 0)).toBe(true);
  });

  it('has separate projections when key/value widths differ, or with grouped key/value heads', () => {
    expect(shapes(new MultiHeadAttention(8, 2, { kdim: 3, vdim: 5, bias: false }).stateDict())).toEqual({
      q_proj_weight: [8, 8],
      k_proj_weight: [8, 3],
      v_proj_weight: [8, 5],
      'out_proj.weight': [8, 8],
    });
    expect(shapes(new MultiHeadAttention(8, 4, { numKeyValueHeads: 1 }).stateDict())).toEqual({
      q_proj_weight: [8, 8],
      k_proj_weight: [2, 8],
      v_proj_weight: [2, 8],
      in_proj_bias: [12],
      'out_proj.weight': [8, 8],
      'out_proj.bias': [8],
    });
  });

  it('reproduces torch.nn.MultiheadAttention after loading its state dict', () => {
    // The PyTorch cases live beside the clone (CI always has them): a missing file fails, never skips.
    const repository = fileURLToPath(new URL('../../../', import.meta.url));
    const referenceFile = join(resolve(repository, process.env.HEED_REFERENCE_DIR ?? '../shared/reference'), 'mha.json');
    if (!existsSync(referenceFile)) {
      throw new Error(`the PyTorch reference file ${referenceFile} is missing: check out heed's shared/reference beside the clone, or set HEED_REFERENCE_DIR`);
    }
    type Entry = { shape: number[]; data: (number | boolean)[]; dtype?: string };
    const document = JSON.parse(readFileSync(referenceFile, 'utf8')) as { cases: { attrs: Record<string, unknown>; inputs: Record<string, Entry>; outputs: Record<string, Entry> }[] };
    const load = (entry: Entry): Tensor => tensor(entry.data.map(Number), { shape: entry.shape, dtype: entry.dtype === 'bool' ? 'bool' : 'float32' });
    for (const testCase of document.cases) {
      const { inputs, attrs } = testCase;
      const embedDim = inputs.query.shape[2];
      const mha = new MultiHeadAttention(embedDim, attrs.num_heads as number);
      mha.loadStateDict({ in_proj_weight: load(inputs.in_proj_weight), in_proj_bias: load(inputs.in_proj_bias), 'out_proj.weight': load(inputs.out_proj_weight), 'out_proj.bias': load(inputs.out_proj_bias) });
      const query = load(inputs.query);
      const [key, value] = attrs.self ? [query, query] : [load(inputs.key), load(inputs.value)];
      const { output, weights } = mha.forward(query, key, value, { causal: attrs.causal === true, keyPaddingMask: inputs.keep_keys ? load(inputs.keep_keys).logicalNot() : null });
      assertAllclose(output, testCase.outputs.out.data.map(Number), { abs: 2e-4, rel: 2e-4 });
      assertAllclose(weights!, testCase.outputs.weights.data.map(Number), { abs: 2e-4, rel: 2e-4 });
    }
  });

  it('loads a PyTorch state dict and computes with it', () => {
    const mha = new MultiHeadAttention(4, 2);
    const state = { in_proj_weight: r(12, 4), in_proj_bias: r(12), 'out_proj.weight': r(4, 4), 'out_proj.bias': r(4) };
    mha.loadStateDict(state);
    const [query, key] = [r(2, 3, 4), r(2, 5, 4)];
    const want = multiHeadAttentionForward(query, key, key, 2, { inProjWeight: state.in_proj_weight, inProjBias: state.in_proj_bias, outProjWeight: state['out_proj.weight'], outProjBias: state['out_proj.bias'] });
    assertAllclose(mha.forward(query, key).output, want.output.dataSync(), { abs: 0, rel: 0 });
  });
});

describe('MultiHeadAttention forward', () => {
  it('passes a finite-difference gradient check for inputs and parameters', () => {
    expectGradients(
      (query, key, value, inProjWeight, inProjBias, outProjWeight, outProjBias) =>
        multiHeadAttentionForward(query, key, value, 2, { inProjWeight, inProjBias, outProjWeight, outProjBias }, { keyPaddingMask: tensor([[false, false, true], [false, true, true]]) }).output,
      [r(2, 2, 4), r(2, 3, 4), r(2, 3, 4), r(12, 4).mul(0.5), r(12), r(4, 4).mul(0.5), r(4)],
    );
  });

  it('returns averaged or per-head weights, or none', () => {
    const mha = new MultiHeadAttention(6, 3);
    const x = r(2, 4, 6);
    const averaged = mha.forward(x, x, x, { causal: true });
    const perHead = mha.forward(x, x, x, { causal: true, averageAttnWeights: false });
    expect(perHead.weights!.shape).toEqual([2, 3, 4, 4]);
    assertAllclose(averaged.weights!, perHead.weights!.mean(1).dataSync(), { abs: 1e-7, rel: 1e-6 });
    expect(mha.forward(x, x, x, { needWeights: false }).weights).toBeNull();
  });

  it('supports [L, B, E] (batchFirst false) and unbatched [L, E] input', () => {
    const first = new MultiHeadAttention(4, 2, { generator: new Generator(2) });
    const second = new MultiHeadAttention(4, 2, { batchFirst: false });
    second.loadStateDict(first.stateDict());
    const [query, key] = [r(2, 3, 4), r(2, 5, 4)];
    const want = first.forward(query, key);
    assertAllclose(second.forward(query.transpose(0, 1), key.transpose(0, 1)).output.transpose(0, 1), want.output.dataSync(), close);
    const single = first.forward(query.slice(0, 0, 1).squeeze(0), key.slice(0, 0, 1).squeeze(0));
    expect(single.output.shape).toEqual([3, 4]);
    expect(single.weights!.shape).toEqual([3, 5]);
    assertAllclose(single.output, want.output.slice(0, 0, 1).dataSync(), close);
  });

  it('accepts PyTorch’s [B·H, L, S] attention masks like [B, H, L, S] ones', () => {
    const mha = new MultiHeadAttention(4, 2);
    const x = r(2, 3, 4);
    const masked = tensor(Array.from({ length: 36 }, (_, index) => index % 5 === 1), { shape: [2, 2, 3, 3], dtype: 'bool' });
    const four = mha.forward(x, x, x, { attnMask: masked, averageAttnWeights: false });
    const three = mha.forward(x, x, x, { attnMask: masked.reshape([4, 3, 3]), averageAttnWeights: false });
    assertAllclose(three.weights!, four.weights!.dataSync(), { abs: 0, rel: 0 });
    expect(four.weights!.dataSync()[1]).toBe(0);
  });

  it('handles self-attention with causal and padding together, fully padded rows included, without NaN', () => {
    const mha = new MultiHeadAttention(4, 1);
    const x = r(2, 4, 4).requiresGrad_();
    const { output, weights } = mha.forward(x, x, x, { causal: true, keyPaddingMask: paddingMask([0, 3], 4).reshape([2, 4]).logicalNot() });
    expect(weights!.slice(0, 0, 1).dataSync().every((value) => value === 0)).toBe(true);
    const rows = weights!.slice(0, 1, 2).toArray() as number[][][];
    expect(rows[0][3]).toEqual([expect.any(Number), expect.any(Number), expect.any(Number), 0]);
    output.sum().backward();
    expectFinite(x.grad!.dataSync());
    for (const parameter of mha.parameters()) expectFinite(parameter.grad!.dataSync());
  });

  it('implements grouped-query attention as full attention with repeated key/value projections', () => {
    const grouped = new MultiHeadAttention(8, 4, { numKeyValueHeads: 2, generator: new Generator(4) });
    noGrad(() => grouped.inProjBias!.assign(r(16)));
    // Head h uses key/value head floor(h / 2); each head is 2 rows of the projection wide.
    const repeatRows = (weight: Tensor): Tensor => concat([0, 0, 1, 1].map((group) => weight.slice(0, group * 2, group * 2 + 2)), 0);
    const bias = grouped.inProjBias!.reshape([16, 1]);
    const x = r(2, 5, 8);
    const full = multiHeadAttentionForward(
      x,
      x,
      x,
      4,
      {
        qProjWeight: grouped.qProjWeight,
        kProjWeight: repeatRows(grouped.kProjWeight!),
        vProjWeight: repeatRows(grouped.vProjWeight!),
        inProjBias: concat([bias.slice(0, 0, 8), repeatRows(bias.slice(0, 8, 12)), repeatRows(bias.slice(0, 12, 16))]).reshape([24]),
        outProjWeight: grouped.outProj.weight,
        outProjBias: grouped.outProj.bias,
      },
      { causal: true },
    );
    assertAllclose(grouped.forward(x, x, x, { causal: true }).output, full.output.dataSync(), close);
    expect(new MultiHeadAttention(8, 4, { numKeyValueHeads: 1 }).forward(x).output.shape).toEqual([2, 5, 8]);
  });
});

describe('MultiHeadAttention with a key/value cache', () => {
  const decode = (mha: MultiHeadAttention, x: Tensor, chunk: number, cache: KeyValueCache): Tensor => {
    const outputs: Tensor[] = [];
    for (let start = 0; start < x.shape[1]; start += chunk) {
      const piece = x.slice(1, start, Math.min(x.shape[1], start + chunk));
      outputs.push(mha.forward(piece, piece, piece, { causal: true, cache }).output);
    }
    return concat(outputs, 1);
  };

  it('equals the full causal computation, token by token and in chunks', () => {
    for (const options of [{}, { numKeyValueHeads: 1 }, { rotary: new RotaryEmbedding(4) }, { alibi: true }, { numKeyValueHeads: 2, rotary: new RotaryEmbedding(4, { interleaved: true }), alibi: true }]) {
      const mha = new MultiHeadAttention(16, 4, { ...options, generator: new Generator(6) });
      const x = r(2, 7, 16);
      const full = mha.forward(x, x, x, { causal: true }).output;
      for (const chunk of [1, 3]) {
        const cache = mha.createCache();
        assertAllclose(noGrad(() => decode(mha, x, chunk, cache)), full.dataSync(), close);
        expect(cache.length).toBe(7);
        expect(cache.key!.shape).toEqual([2, mha.numKeyValueHeads, 7, 4]);
      }
    }
  });

  it('reuses a static cache for cross-attention', () => {
    const mha = new MultiHeadAttention(8, 2);
    const [queries, memory] = [r(1, 4, 8), r(1, 6, 8)];
    const full = mha.forward(queries, memory, memory).output;
    const cache = mha.createCache({ static: true });
    const steps = [0, 1, 2, 3].map((step) => mha.forward(queries.slice(1, step, step + 1), memory, memory, { cache }).output);
    assertAllclose(concat(steps, 1), full.dataSync(), close);
    expect(cache.length).toBe(6);
  });

  it('rejects keys that do not fit the cache, and resets', () => {
    const cache = new KeyValueCache();
    cache.update(zeros([1, 2, 3, 4]), zeros([1, 2, 3, 5]));
    expect(() => cache.update(zeros([1, 3, 1, 4]), zeros([1, 3, 1, 5]))).toThrow(ShapeError);
    expect(() => cache.update(zeros([1, 2, 1, 4]), zeros([1, 2, 2, 5]))).toThrow(/argument value/);
    cache.reset();
    expect(cache.length).toBe(0);
  });
});

describe('MultiHeadAttention errors', () => {
  it('names the argument and the shapes', () => {
    expect(() => new MultiHeadAttention(10, 3)).toThrow(/argument numHeads: must be a positive integer dividing embedDim 10, got 3/);
    expect(() => new MultiHeadAttention(12, 4, { numKeyValueHeads: 3 })).toThrow(/argument numKeyValueHeads: .*dividing numHeads 4, got 3/);
    expect(() => new MultiHeadAttention(8, 2, { rotary: new RotaryEmbedding(8) })).toThrow(/head dim E \/ H = 4/);
    expect(() => new MultiHeadAttention(8, 2, { dropout: 2 })).toThrow(ValueError);
    const mha = new MultiHeadAttention(8, 2);
    const x = r(2, 3, 8);
    expect(() => mha.forward(r(2, 3, 6))).toThrow(/argument query: expected shape \[B, L, 8\] or \[L, 8\], got \[2, 3, 6\]/);
    expect(() => mha.forward(x, x, x, { keyPaddingMask: zeros([2, 4], { dtype: 'bool' }) })).toThrow(/argument keyPaddingMask: expected shape \[B, S\] = \[2, 3\], got \[2, 4\]/);
    expect(() => mha.forward(x, x, x, { attnMask: zeros([4, 3], { dtype: 'bool' }) })).toThrow(/argument attnMask: .*\[2, 2, 3, 3\], got \[4, 3\]/);
    expect(() => mha.forward(x, r(2, 4, 8), r(2, 5, 8))).toThrow(/argument value/);
    expect(() => multiHeadAttentionForward(x, x, x, 2, { inProjWeight: r(24, 8), outProjWeight: r(8, 6) })).toThrow(HeedError);
  });
});
