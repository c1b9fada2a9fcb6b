import { full, tensor, type Tensor } from '@heed/tensor';
import { describe, expect, it } from 'vitest';
import { beamSearch, greedySearch, type AttentionDecoder } from '../src/index.js';

/**
 * A decoder with fixed probabilities, so the best output is known: the likely path is
 * `a a a <end>` (each step ≈ 0.99), while `<end>` and `b` are always possible but unlikely.
 * The state counts the tokens emitted so far on each row.
 */
const [bos, eos, a, b] = [1, 2, 3, 4];
function scriptedDecoder(): AttentionDecoder {
  const step = (tokens: Tensor, state: { h: Tensor }) => {
    const rows = tokens.shape[0];
    const counts = state.h.dataSync();
    const logits = new Float32Array(rows * 5).fill(-30);
    for (let row = 0; row < rows; row++) {
      const likely = counts[row] < 3 ? a : eos;
      logits[row * 5 + likely] = 5;
      logits[row * 5 + (likely === a ? eos : a)] = 0;
      logits[row * 5 + b] = 0;
    }
    return {
      logits: tensor(logits, { shape: [rows, 5] }),
      weights: full([rows, 2], 0.5),
      state: { h: state.h.add(1), c: null, feed: null },
    };
  };
  return { step } as unknown as AttentionDecoder;
}

describe('beam search', () => {
  const encoded = { memory: full([1, 2, 3], 0), mask: full([1, 1, 2], 1, { dtype: 'bool' }), lengths: Int32Array.from([2]) };
  const initial = { h: full([1, 1, 1], 0), c: null, feed: null };
  const tokens = { bosIndex: bos, eosIndex: eos, padIndex: 0 };

  it('keeps a likely long hypothesis alive past unlikely short ones that end first', () => {
    const greedy = greedySearch(scriptedDecoder(), encoded, initial, tokens, { maxLength: 8 });
    expect(greedy[0].tokens).toEqual([a, a, a]);
    for (const beamSize of [2, 3, 4]) {
      const [best] = beamSearch(scriptedDecoder(), encoded, initial, tokens, { beamSize, maxLength: 8 })[0];
      expect(best.tokens).toEqual([a, a, a]);
      expect(best.finished).toBe(true);
      expect(best.logProbability).toBeCloseTo(greedy[0].logProbability, 5);
    }
  });
});
