import { tensor, type Tensor } from '@heed/tensor';
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN, type RecurrentResult } from '../src/index.js';
import { Generator, expectClose, random } from './helpers.js';

type Layer = RNN | LSTM | GRU;

const layers: [string, (generator: Generator) => Layer][] = [
  ['RNN', (generator) => new RNN(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true, generator })],
  ['LSTM', (generator) => new LSTM(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true, generator })],
  ['GRU', (generator) => new GRU(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true, generator })],
];

function run(layer: Layer, x: Tensor, lengths?: number[], h0?: Tensor, c0?: Tensor): RecurrentResult {
  return layer instanceof LSTM ? layer.forward(x, { lengths, h0, c0 }) : layer.forward(x, { lengths, h0 });
}

/** `x` [B, T, I] with every step past each sequence's length replaced by `padding`. */
function withPadding(x: Tensor, lengths: number[], padding: Tensor): Tensor {
  const steps = x.shape[1];
  const keep = tensor(lengths.flatMap((length) => Array.from({ length: steps }, (_, t) => (t < length ? 1 : 0))), { dtype: 'bool', shape: [lengths.length, steps, 1] });
  return x.mul(keep.float()).add(padding.mul(keep.logicalNot().float()));
}

describe.each(layers)('%s with per-sequence lengths', (_name, make) => {
  const lengths = [7, 3, 1, 5];

  it('gives each sequence the result it gets alone, at its own length', () => {
    const generator = new Generator(30);
    const layer = make(generator);
    const x = random([4, 7, 3], generator);
    const h0 = random([4, 4, 4], generator, 0.5);
    const c0 = random([4, 4, 4], generator, 0.5);
    const batch = run(layer, x, lengths, h0, c0);
    lengths.forEach((length, b) => {
      const alone = run(layer, x.slice(0, b, b + 1).slice(1, 0, length), undefined, h0.slice(1, b, b + 1), c0.slice(1, b, b + 1));
      const mine = batch.output.slice(0, b, b + 1);
      expectClose(mine.slice(1, 0, length), alone.output);
      // Outputs past the end are zero, in both directions' halves.
      if (length < 7) expectClose(mine.slice(1, length), new Array<number>((7 - length) * 8).fill(0), 0);
      expectClose(batch.hN.slice(1, b, b + 1), alone.hN);
      if (batch.cN && alone.cN) expectClose(batch.cN.slice(1, b, b + 1), alone.cN);
    });
  });

  it('is unchanged by what the padding holds, and sends no gradient into it', () => {
    const generator = new Generator(31);
    const layer = make(generator);
    const x = random([4, 7, 3], generator);
    const seeds = [random([4, 7, 8], generator), random([4, 4, 4], generator)];
    const results = [random([4, 7, 3], generator, 5), random([4, 7, 3], generator, 100)].map((padding) => {
      layer.zeroGrad();
      const input = withPadding(x, lengths, padding).detach().requiresGrad_();
      const result = run(layer, input, lengths);
      result.output.mul(seeds[0]).sum().add(result.hN.mul(seeds[1]).sum()).backward();
      return { result, inputGrad: input.grad!, weightGrads: layer.parameters().map((parameter) => parameter.grad!) };
    });
    const [first, second] = results;
    expectClose(first.result.output, second.result.output, 0);
    expectClose(first.result.hN, second.result.hN, 0);
    first.weightGrads.forEach((grad, index) => expectClose(grad, second.weightGrads[index], 1e-6));
    expectClose(first.inputGrad, second.inputGrad, 1e-6);
    const gradient = first.inputGrad.toArray() as number[][][];
    lengths.forEach((length, b) => {
      for (let t = length; t < 7; t++) expect(gradient[b][t].every((value) => value === 0)).toBe(true);
      expect(gradient[b][length - 1].some((value) => value !== 0)).toBe(true);
    });
  });

  it('matches the plain run when every length is T', () => {
    const generator = new Generator(32);
    const layer = make(generator);
    const x = random([4, 7, 3], generator);
    const full = run(layer, x, [7, 7, 7, 7]);
    const plain = run(layer, x);
    expectClose(full.output, plain.output, 0);
    expectClose(full.hN, plain.hN, 0);
  });
});

describe('lengths as a tensor', () => {
  it('accepts an int32 tensor [B]', () => {
    const generator = new Generator(33);
    const gru = new GRU(3, 4, { generator });
    const x = random([2, 5, 3], generator);
    expectClose(gru.forward(x, { lengths: tensor([5, 2], { dtype: 'int32' }) }).hN, gru.forward(x, { lengths: [5, 2] }).hN, 0);
  });
});
