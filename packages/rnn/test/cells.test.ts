import { HeedError, linear, tensor, zeros, type Tensor } from '@heed/tensor';
import { gradcheck } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell, recurrentStep, type RecurrentMode } from '../src/index.js';
import { scalarRecurrent } from './scalar-reference.js';
import { Generator, expectClose, nestedParameters, random } from './helpers.js';

const modes: RecurrentMode[] = ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'];

function makeCell(mode: RecurrentMode, inputSize: number, hiddenSize: number, generator: Generator): RNNCell | LSTMCell | GRUCell {
  if (mode === 'lstm') return new LSTMCell(inputSize, hiddenSize, { generator });
  if (mode === 'gru') return new GRUCell(inputSize, hiddenSize, { generator });
  return new RNNCell(inputSize, hiddenSize, { generator, nonlinearity: mode === 'rnn_relu' ? 'relu' : 'tanh' });
}

function runCell(cell: RNNCell | LSTMCell | GRUCell, x: Tensor, h: Tensor, c: Tensor): { h: Tensor; c: Tensor | null } {
  if (cell instanceof LSTMCell) return cell.forward(x, { h, c });
  return { h: cell.forward(x, h), c: null };
}

describe.each(modes)('%s cell', (mode) => {
  it('matches the PyTorch formulas, batched and unbatched', () => {
    const generator = new Generator(1);
    const cell = makeCell(mode, 3, 4, generator);
    const x = random([2, 3], generator);
    const h = random([2, 4], generator, 0.5);
    const c = random([2, 4], generator, 0.5);
    const next = runCell(cell, x, h, c);
    // The scalar reference runs a one-step, one-layer sequence with the cell's weights renamed.
    const state = Object.fromEntries(Object.entries(nestedParameters(cell.stateDict())).map(([name, value]) => [`${name}_l0`, value]));
    const want = scalarRecurrent(mode, (x.toArray() as number[][]).map((row) => [row]), state, {
      numLayers: 1,
      bidirectional: false,
      hidden: 4,
      h0: [h.toArray() as number[][]],
      c0: [c.toArray() as number[][]],
    });
    expectClose(next.h, want.hN[0]);
    if (mode === 'lstm') expectClose(next.c!, want.cN[0]);
    const single = runCell(cell, x.slice(0, 1, 2).squeeze(0), h.slice(0, 1, 2).squeeze(0), c.slice(0, 1, 2).squeeze(0));
    expect(single.h.shape).toEqual([4]);
    expectClose(single.h, want.hN[0][1]);
  });

  it('starts from zeros when no state is given', () => {
    const generator = new Generator(2);
    const cell = makeCell(mode, 3, 5, generator);
    const x = random([2, 3], generator);
    expectClose(runCell(cell, x, zeros([2, 5]), zeros([2, 5])).h, cell instanceof LSTMCell ? cell.forward(x).h : cell.forward(x));
  });

  it('has gradients that match finite differences', () => {
    const generator = new Generator(3);
    const inputs = [random([2, 3], generator), random([2, 4], generator, 0.5), random([2, 4], generator, 0.5)];
    const width = (mode === 'lstm' ? 4 : mode === 'gru' ? 3 : 1) * 4;
    const weights = [random([width, 3], generator, 0.5), random([width, 4], generator, 0.5), random([width], generator, 0.5), random([width], generator, 0.5)];
    const step = (x: Tensor, h: Tensor, c: Tensor, weightIh: Tensor, weightHh: Tensor, biasIh: Tensor, biasHh: Tensor): Tensor => {
      const next = recurrentStep(mode, linear(x, weightIh, biasIh), { h, c: mode === 'lstm' ? c : null }, weightHh, biasHh);
      return next.c ? next.h.add(next.c.mul(0.5)) : next.h;
    };
    const result = gradcheck(step, [...inputs, ...weights]);
    expect(result.ok, result.message).toBe(true);
  });

  it('equals a one-step layer with the same weights', () => {
    const generator = new Generator(4);
    const cell = makeCell(mode, 3, 4, generator);
    const layer = mode === 'lstm' ? new LSTM(3, 4) : mode === 'gru' ? new GRU(3, 4) : new RNN(3, 4, { nonlinearity: mode === 'rnn_relu' ? 'relu' : 'tanh' });
    layer.loadStateDict(Object.fromEntries(Object.entries(cell.stateDict()).map(([name, value]) => [`${name}_l0`, value])));
    const x = random([2, 1, 3], generator); // [B, T = 1, I]
    const h = random([2, 4], generator);
    const c = random([2, 4], generator);
    const result = layer instanceof LSTM ? layer.forward(x, { h0: h.unsqueeze(0), c0: c.unsqueeze(0) }) : layer.forward(x, { h0: h.unsqueeze(0) });
    expectClose(result.output.squeeze(1), runCell(cell, x.squeeze(1), h, c).h);
  });
});

describe('cell input checks', () => {
  it('names the argument and shapes of a wrong input or state', () => {
    const cell = new LSTMCell(3, 4);
    expect(() => cell.forward(zeros([2, 5]))).toThrowError(/LSTMCell\.forward: argument input: expected shape \[B, 3\] or unbatched \[3\], got \[2, 5\]/);
    expect(() => cell.forward(zeros([2, 3]), { h: zeros([3, 4]) })).toThrowError(/argument h: expected shape \[2, 4\], got \[3, 4\]/);
    expect(() => cell.forward(zeros([2, 3]), { h: zeros([2, 4]), c: zeros([2, 5]) })).toThrowError(/argument c: expected shape \[2, 4\], got \[2, 5\]/);
    expect(() => new GRUCell(3, 4).forward(zeros([3]), zeros([2, 4]))).toThrowError(HeedError);
    expect(() => new RNNCell(3, 4).forward(tensor([[1, 2, 3]], { dtype: 'int32' }))).toThrowError(/dtype/);
    expect(() => new RNNCell(3, 0)).toThrowError(/hiddenSize: must be a positive integer/);
    expect(() => new RNNCell(3, 4, { nonlinearity: 'sigmoid' as 'tanh' })).toThrowError(/nonlinearity/);
  });

  it('uses PyTorch names, shapes and init bounds', () => {
    const cell = new GRUCell(5, 7);
    const state = cell.stateDict();
    expect(Object.fromEntries(Object.entries(state).map(([name, value]) => [name, value.shape]))).toEqual({
      weight_ih: [21, 5],
      weight_hh: [21, 7],
      bias_ih: [21],
      bias_hh: [21],
    });
    const bound = 1 / Math.sqrt(7);
    for (const value of Object.values(state)) for (const element of value.dataSync()) expect(Math.abs(element)).toBeLessThanOrEqual(bound);
    expect(Object.keys(new LSTMCell(2, 3, { bias: false }).stateDict())).toEqual(['weight_ih', 'weight_hh']);
  });
});
