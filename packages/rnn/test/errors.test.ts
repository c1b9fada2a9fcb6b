import { HeedError, ShapeError, ValueError, tensor, zeros } from '@heed/tensor';
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN, recurrent } from '../src/index.js';

function thrown(fn: () => unknown): HeedError {
  try {
    fn();
  } catch (error) {
    if (HeedError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a HeedError');
}

describe('bad input raises a HeedError naming the argument and shapes', () => {
  const lstm = new LSTM(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true });
  const x = zeros([2, 5, 3]);

  it('wrong input size or rank', () => {
    const error = thrown(() => lstm.forward(zeros([2, 5, 6])));
    expect(error).toBeInstanceOf(ShapeError);
    expect(error.message).toBe('heed.LSTM.forward: argument input: expected shape [B, T, 3] or unbatched [T, 3], got [2, 5, 6]');
    expect(thrown(() => new GRU(3, 4).forward(zeros([3])))).toBeInstanceOf(ShapeError);
    expect(thrown(() => new GRU(3, 4).forward(zeros([0, 2, 3]))).message).toMatch(/T ≥ 1 and B ≥ 1/);
    expect(thrown(() => new RNN(3, 4).forward(tensor([[[1, 2, 3]]], { dtype: 'int32' }))).message).toMatch(/input: expected dtype float32, got int32/);
  });

  it('initial states of the wrong shape', () => {
    expect(thrown(() => lstm.forward(x, { h0: zeros([2, 2, 4]) })).message).toBe(
      'heed.LSTM.forward: argument h0: expected shape [4, 2, 4] ([layers·dirs, B, H]), got [2, 2, 4]',
    );
    expect(thrown(() => lstm.forward(x, { c0: zeros([4, 3, 4]) })).message).toMatch(/argument c0: expected shape \[4, 2, 4\].*got \[4, 3, 4\]/);
    expect(thrown(() => new GRU(3, 4).forward(zeros([5, 2, 3]), { h0: zeros([1, 2, 5]) }))).toBeInstanceOf(ShapeError);
    const parameters = new GRU(3, 4).stateDict();
    expect(thrown(() => recurrent('gru', zeros([5, 2, 3]), parameters, { c0: zeros([1, 2, 4]) })).message).toMatch(/c0: only an LSTM has a cell state/);
  });

  it('lengths longer than the sequence, shorter than 1, fractional, or of the wrong count', () => {
    const longer = thrown(() => lstm.forward(x, { lengths: [5, 6] }));
    expect(longer).toBeInstanceOf(ValueError);
    expect(longer.message).toBe('heed.LSTM.forward: argument lengths: lengths[1] is 6; each length must be an integer in [1, 5] (the sequence has T = 5 steps)');
    expect(thrown(() => lstm.forward(x, { lengths: [0, 5] })).message).toMatch(/lengths\[0\] is 0/);
    expect(thrown(() => lstm.forward(x, { lengths: [2.5, 5] })).message).toMatch(/lengths\[0\] is 2\.5/);
    expect(thrown(() => lstm.forward(x, { lengths: [5] })).message).toMatch(/argument lengths: expected shape \[2\] \(one length per sequence\), got \[1\]/);
    expect(thrown(() => lstm.forward(x, { lengths: tensor([[5, 5]], { dtype: 'int32' }) }))).toBeInstanceOf(ShapeError);
  });

  it('parameters that are missing or of the wrong shape (functional form)', () => {
    const parameters = new GRU(3, 4, { numLayers: 2 }).stateDict();
    expect(thrown(() => recurrent('gru', zeros([5, 2, 3]), parameters, { numLayers: 3 })).message).toMatch(/missing weight_ih_l2 \(expected shape \[12, 4\]\)/);
    expect(thrown(() => recurrent('lstm', zeros([5, 2, 3]), parameters, { numLayers: 2 })).message).toMatch(/weight_ih_l0: expected shape \[16, 3\], got \[12, 3\]/);
  });
});
