import { describe, expect, it } from 'vitest';
import { FormatError, ShapeError, ValueError } from '../errors.js';
import { Dropout, Embedding, Generator, LayerNorm, Linear, Module, ModuleList, init, ones, randn, tensor, zeros, type Tensor } from '../index.js';

class Block extends Module {
  readonly first = this.registerModule('first', new Linear(4, 8, { generator: new Generator(1) }));
  readonly layers = this.registerModule('layers', new ModuleList([new Linear(8, 8), new Linear(8, 2)]));
  readonly norm = this.registerModule('norm', new LayerNorm(2));
  readonly drop = this.registerModule('drop', new Dropout(0.5));
  forward(x: Tensor): Tensor {
    let h = this.first.forward(x).relu();
    for (const layer of this.layers) h = layer.forward(h);
    return this.drop.forward(this.norm.forward(h));
  }
}

describe('Module', () => {
  it('names parameters in PyTorch dotted style', () => {
    const block = new Block();
    expect(Object.keys(block.stateDict())).toEqual([
      'first.weight', 'first.bias', 'layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'norm.weight', 'norm.bias',
    ]);
    expect(block.numParameters()).toBe(4 * 8 + 8 + 8 * 8 + 8 + 8 * 2 + 2 + 2 + 2);
    expect(block.parameters().every((parameter) => parameter.requiresGrad)).toBe(true);
  });

  it('loads a state dict in place, checking names and shapes', () => {
    const source = new Block();
    const target = new Block();
    const weight = target.first.weight;
    target.loadStateDict(source.stateDict());
    expect(target.first.weight).toBe(weight);
    expect(target.first.weight.toArray()).toEqual(source.first.weight.toArray());
    const state = source.stateDict();
    expect(() => target.loadStateDict({ ...state, 'first.weight': zeros([3, 3]) })).toThrow(ShapeError);
    expect(() => target.loadStateDict({ ...state, extra: zeros([1]) })).toThrow(FormatError);
    const { unexpected } = target.loadStateDict({ ...state, extra: zeros([1]) }, { strict: false });
    expect(unexpected).toEqual(['extra']);
  });

  it('switches dropout with train() and eval()', () => {
    const block = new Block();
    const x = randn([16, 4]);
    block.eval();
    expect(block.drop.training).toBe(false);
    expect(block.forward(x).toArray()).toEqual(block.forward(x).toArray());
    block.train();
    const values = Array.from(block.drop.forward(ones([1000])).dataSync());
    expect(values.every((value) => value === 0 || value === 2)).toBe(true);
    const kept = values.filter((value) => value === 2).length;
    expect(kept).toBeGreaterThan(400);
    expect(kept).toBeLessThan(600);
  });

  it('initialises Linear like PyTorch: U(±1/√in)', () => {
    const layer = new Linear(100, 50, { generator: new Generator(3) });
    const values = Array.from(layer.weight.dataSync());
    const bound = 1 / Math.sqrt(100);
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(new Linear(3, 2, { bias: false }).bias).toBeNull();
    expect(() => new Linear(0, 2)).toThrow(ValueError);
    expect(() => layer.forward(randn([2, 99]))).toThrow(ShapeError);
  });

  it('normalises with LayerNorm like the definition', () => {
    const x = tensor([[1, 2, 3, 6]]);
    const y = new LayerNorm(4).forward(x).dataSync();
    const mean = 3;
    const std = Math.sqrt((4 + 1 + 0 + 9) / 4 + 1e-5);
    [1, 2, 3, 6].forEach((value, index) => expect(y[index]).toBeCloseTo((value - mean) / std, 5));
  });

  it('looks up embeddings and zeroes the padding row', () => {
    const table = new Embedding(5, 3, { paddingIdx: 0 });
    expect(table.weight.slice(0, 0, 1).toArray()).toEqual([[0, 0, 0]]);
    const out = table.forward(tensor([[4, 0]], { dtype: 'int32' }));
    expect(out.shape).toEqual([1, 2, 3]);
    expect(() => table.forward(tensor([5], { dtype: 'int32' }))).toThrow(/out of range/);
    out.sum().backward();
    const grad = table.weight.grad!.toArray() as number[][];
    expect(grad[0]).toEqual([0, 0, 0]);
    expect(grad[4]).toEqual([1, 1, 1]);
  });

  it('fills weights with the init schemes', () => {
    const weight = zeros([64, 32]).requiresGrad_();
    init.xavierUniform_(weight, 1, { generator: new Generator(0) });
    const bound = Math.sqrt(6 / 96);
    const values = Array.from(weight.dataSync());
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
    init.kaimingNormal_(weight, 0, { generator: new Generator(0) });
    const std = Math.sqrt(values.length ? Array.from(weight.dataSync()).reduce((total, v) => total + v * v, 0) / values.length : 0);
    expect(std).toBeGreaterThan(0.8 * Math.sqrt(2 / 32));
    expect(std).toBeLessThan(1.2 * Math.sqrt(2 / 32));
    init.zeros_(weight);
    expect(weight.sum().item()).toBe(0);
  });
});
