import { Generator, LayerNorm, ShapeError, ValueError, concat, noGrad, randn, tensor, type Tensor } from '@heed/tensor';
import { assertAllclose, gradcheck } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer } from '../index.js';

const generator = new Generator(21);
const r = (...shape: number[]): Tensor => randn(shape, { generator });
const close = { abs: 2e-5, rel: 1e-4 };
const small = { dimFeedforward: 12, dropout: 0, generator: new Generator(4) };

describe('TransformerEncoderLayer', () => {
  it('has PyTorch’s parameter names and shapes', () => {
    const shapes = Object.fromEntries(Object.entries(new TransformerEncoderLayer(8, 2, small).stateDict()).map(([name, value]) => [name, value.shape]));
    expect(shapes).toEqual({
      'self_attn.in_proj_weight': [24, 8],
      'self_attn.in_proj_bias': [24],
      'self_attn.out_proj.weight': [8, 8],
      'self_attn.out_proj.bias': [8],
      'linear1.weight': [12, 8],
      'linear1.bias': [12],
      'linear2.weight': [8, 12],
      'linear2.bias': [8],
      'norm1.weight': [8],
      'norm1.bias': [8],
      'norm2.weight': [8],
      'norm2.bias': [8],
    });
    expect(Object.keys(new TransformerEncoderLayer(8, 2, { ...small, bias: false }).stateDict())).toEqual([
      'self_attn.in_proj_weight',
      'self_attn.out_proj.weight',
      'linear1.weight',
      'linear2.weight',
      'norm1.weight',
      'norm2.weight',
    ]);
  });

  it('passes a finite-difference gradient check, pre- and post-norm', () => {
    for (const normFirst of [false, true]) {
      const layer = new TransformerEncoderLayer(4, 2, { ...small, normFirst, activation: 'gelu' });
      const seed = r(2, 3, 4);
      const loss = (x: Tensor): Tensor => layer.forward(x, { isCausal: true }).mul(seed).sum();
      const result = gradcheck(loss, [r(2, 3, 4)]);
      expect(result.ok, result.message).toBe(true);
      // Parameters: central differences on a few entries of each kind of weight.
      const x = r(2, 3, 4);
      layer.zeroGrad();
      loss(x).backward();
      for (const parameter of [layer.selfAttn.inProjWeight!, layer.linear1.weight, layer.norm1.weight!]) {
        const values = Float32Array.from(parameter.dataSync());
        for (const index of [0, Math.floor(values.length / 2), values.length - 1]) {
          const at = (delta: number): number => {
            const moved = Float32Array.from(values);
            moved[index] += delta;
            noGrad(() => parameter.assign(tensor(moved, { shape: parameter.shape })));
            return noGrad(() => loss(x).item());
          };
          const numeric = (at(1e-2) - at(-1e-2)) / 2e-2;
          noGrad(() => parameter.assign(tensor(values, { shape: parameter.shape })));
          expect(Math.abs(parameter.grad!.dataSync()[index] - numeric)).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric));
        }
      }
    }
  });

  it('applies dropout only in training mode, reproducibly with a generator', () => {
    const make = (): TransformerEncoderLayer => new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.5, generator: new Generator(9) });
    const x = r(1, 4, 8);
    const [first, second] = [make(), make()];
    assertAllclose(first.forward(x), second.forward(x).dataSync(), { abs: 0, rel: 0 });
    const evaluated = first.eval().forward(x);
    expect(evaluated.dataSync()).toEqual(first.forward(x).dataSync());
    first.train();
    expect(first.forward(x).dataSync()).not.toEqual(evaluated.dataSync());
  });

  it('decodes one token at a time with a cache exactly as the causal full pass', () => {
    const layer = new TransformerEncoderLayer(8, 2, { ...small, normFirst: true });
    const x = r(2, 5, 8);
    const full = layer.forward(x, { isCausal: true });
    const cache = layer.createCache();
    const steps = [0, 1, 2, 3, 4].map((t) => layer.forward(x.slice(1, t, t + 1), { isCausal: true, cache }));
    assertAllclose(concat(steps, 1), full.dataSync(), close);
  });

  it('matches across layouts, unbatched input and attention cores', () => {
    const layer = new TransformerEncoderLayer(8, 2, small);
    const sequenceFirst = new TransformerEncoderLayer(8, 2, { ...small, batchFirst: false });
    const efficient = new TransformerEncoderLayer(8, 2, { ...small, attentionCore: 'memory-efficient' });
    sequenceFirst.loadStateDict(layer.stateDict());
    efficient.loadStateDict(layer.stateDict());
    const x = r(2, 5, 8);
    const padding = tensor([[false, false, false, false, true], [false, false, true, true, true]]);
    const want = layer.forward(x, { srcKeyPaddingMask: padding, isCausal: true });
    assertAllclose(sequenceFirst.forward(x.transpose(0, 1), { srcKeyPaddingMask: padding, isCausal: true }).transpose(0, 1), want.dataSync(), close);
    assertAllclose(efficient.forward(x, { srcKeyPaddingMask: padding, isCausal: true }), want.dataSync(), close);
    const single = layer.forward(x.slice(0, 1, 2).squeeze(0), { srcKeyPaddingMask: padding.slice(0, 1, 2).squeeze(0), isCausal: true });
    assertAllclose(single, want.slice(0, 1, 2).dataSync(), close);
  });

  it('names bad arguments', () => {
    expect(() => new TransformerEncoderLayer(10, 3)).toThrow(/argument nhead: must be a positive integer dividing dModel 10, got 3/);
    expect(() => new TransformerEncoderLayer(8, 2, { dropout: 1.5 })).toThrow(/argument dropout/);
    expect(() => new TransformerEncoderLayer(8, 2, { activation: 'tanh' as 'relu' })).toThrow(/argument activation/);
    expect(() => new TransformerEncoderLayer(8, 2, { attentionCore: 'memory-efficient', attentionDropout: 0.1 })).toThrow(/argument attentionDropout/);
    expect(new TransformerEncoderLayer(8, 2, { attentionCore: 'memory-efficient' }).config.attentionDropout).toBe(0);
    expect(() => new TransformerEncoderLayer(8, 2, small).forward(r(2, 3, 6))).toThrow(ShapeError);
  });
});

describe('TransformerEncoder and TransformerDecoder', () => {
  it('stack copies of the layer that start equal and train apart', () => {
    const layer = new TransformerEncoderLayer(8, 2, small);
    const encoder = new TransformerEncoder(layer, 2, { norm: new LayerNorm(8) });
    expect(Object.keys(encoder.stateDict())).toContain('layers.1.self_attn.out_proj.weight');
    expect(Object.keys(encoder.stateDict())).toContain('norm.bias');
    const [first, second] = encoder.layers.items;
    expect(first.linear1.weight.dataSync()).toEqual(layer.linear1.weight.dataSync());
    expect(first.linear1.weight).not.toBe(second.linear1.weight);
    noGrad(() => first.linear1.weight.assign(first.linear1.weight.mul(2)));
    expect(second.linear1.weight.dataSync()).toEqual(layer.linear1.weight.dataSync());
  });

  it('the encoder decodes step by step with per-layer caches', () => {
    const encoder = new TransformerEncoder(new TransformerEncoderLayer(8, 2, { ...small, normFirst: true }), 3);
    const x = r(1, 4, 8);
    const full = encoder.forward(x, { isCausal: true });
    const caches = encoder.createCaches();
    const steps = [0, 1, 2, 3].map((t) => encoder.forward(x.slice(1, t, t + 1), { isCausal: true, caches }));
    assertAllclose(concat(steps, 1), full.dataSync(), close);
    expect(() => encoder.forward(x, { caches: caches.slice(1) })).toThrow(/argument caches: expected one cache per layer \(3\), got 2/);
  });

  it('the decoder decodes step by step with self and cross caches', () => {
    const decoder = new TransformerDecoder(new TransformerDecoderLayer(8, 2, small), 2, { norm: new LayerNorm(8) });
    const [tgt, memory] = [r(2, 4, 8), r(2, 6, 8)];
    const memoryKeyPaddingMask = tensor([[false, false, false, false, false, false], [false, false, false, true, true, true]]);
    const full = decoder.forward(tgt, memory, { tgtIsCausal: true, memoryKeyPaddingMask });
    const caches = decoder.createCaches();
    const steps = [0, 1, 2, 3].map((t) => decoder.forward(tgt.slice(1, t, t + 1), memory, { tgtIsCausal: true, memoryKeyPaddingMask, caches }));
    assertAllclose(concat(steps, 1), full.dataSync(), close);
  });
});

describe('Transformer', () => {
  it('has PyTorch’s names and defaults', () => {
    const model = new Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 2, dimFeedforward: 8 });
    const names = Object.keys(model.stateDict());
    expect(names).toContain('encoder.layers.0.self_attn.in_proj_weight');
    expect(names).toContain('encoder.norm.weight');
    expect(names).toContain('decoder.layers.1.multihead_attn.out_proj.bias');
    expect(names).toContain('decoder.norm.bias');
    expect(names.filter((name) => name.startsWith('decoder.layers.')).length).toBe(2 * 18); // 4 + 4 attention, 2 + 2 linear, 3 × 2 norm
    expect(model.encoder.layers.at(0).config.dropout).toBe(0.1);
  });

  it('generates PyTorch’s square subsequent mask', () => {
    expect(Transformer.generateSquareSubsequentMask(3).toArray()).toEqual([[0, -Infinity, -Infinity], [0, 0, -Infinity], [0, 0, 0]]);
    expect(() => Transformer.generateSquareSubsequentMask(-1)).toThrow(ValueError);
  });

  it('a causal target mask and tgtIsCausal agree, and batch sizes must match', () => {
    const model = new Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 8, dropout: 0 });
    const [src, tgt] = [r(2, 5, 8), r(2, 3, 8)];
    const masked = model.forward(src, tgt, { tgtMask: Transformer.generateSquareSubsequentMask(3) });
    assertAllclose(model.forward(src, tgt, { tgtIsCausal: true }), masked.dataSync(), close);
    expect(() => model.forward(src, r(3, 3, 8))).toThrow(/batch size of src and tgt must be equal/);
  });
});
