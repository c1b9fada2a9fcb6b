import { Adam, HeedError, crossEntropy, tensor, type Tensor } from '@heed/tensor';
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, Seq2Seq, padSequences, type Seq2SeqOptions } from '../src/index.js';
import { Generator, expectClose } from './helpers.js';

const base = (generator: Generator, options: Partial<Seq2SeqOptions> = {}): Seq2Seq =>
  new Seq2Seq({ sourceVocabSize: 9, targetVocabSize: 7, embeddingDim: 6, hiddenSize: 8, generator, ...options });

const source = padSequences([[3, 4, 5, 6, 7], [8, 3], [4, 4, 4]]);
const target = padSequences([[3, 4, 5, 2], [6, 2], [4, 3, 5, 2]]);

function rowSums(alignments: Tensor): number[][] {
  return (alignments.sum(-1).toArray() as number[][]).map((row) => row.map((value) => Math.round(value * 1e5) / 1e5));
}

describe('Seq2Seq', () => {
  const variants: [string, Partial<Seq2SeqOptions>][] = [
    ['Luong, general score, LSTM', { style: 'luong', score: 'general', cell: 'lstm' }],
    ['Luong, dot score, GRU, input feeding', { style: 'luong', score: 'dot', cell: 'gru', bidirectional: false, inputFeeding: true }],
    ['Luong, concat score, RNN, 2+2 layers', { style: 'luong', score: 'concat', cell: 'rnn', encoderLayers: 2, decoderLayers: 2 }],
    ['Bahdanau, additive score, GRU', { style: 'bahdanau', score: 'additive', cell: 'gru', attentionDim: 5 }],
    ['Bahdanau, general score, LSTM, dropout', { style: 'bahdanau', score: 'general', cell: 'lstm', dropout: 0.2 }],
  ];
  it.each(variants)('%s: logits, alignments, and gradients for every parameter', (_name, options) => {
    const model = base(new Generator(40), options);
    const { logits, alignments } = model.forward(source, target);
    expect(logits.shape).toEqual([3, 4, 7]);
    expect(alignments.shape).toEqual([3, 4, 5]);
    // Each target step's weights sum to 1 over the source and are 0 on its padding.
    expect(rowSums(alignments)).toEqual([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]);
    const weights = alignments.toArray() as number[][][];
    for (const row of weights[1]) expect(row.slice(2)).toEqual([0, 0, 0]);
    for (const row of weights[2]) expect(row.slice(3)).toEqual([0, 0]);
    crossEntropy(logits.reshape([-1, 7]), target.reshape([-1]), { ignoreIndex: 0 }).backward();
    for (const [name, parameter] of model.namedParameters()) {
      const grad = parameter.grad;
      expect(grad, name).not.toBeNull();
      if (!name.includes('Embedding') && !name.includes('embedding')) expect(grad!.abs().sum().item(), name).toBeGreaterThan(0);
    }
  });

  it('is unchanged by extra source padding', () => {
    const model = base(new Generator(41), { style: 'bahdanau', score: 'additive' }).eval();
    const padded = tensor([[3, 4, 5, 6, 7, 0, 0], [8, 3, 0, 0, 0, 0, 0], [4, 4, 4, 0, 0, 0, 0]], { dtype: 'int32' });
    const a = model.forward(source, target);
    const b = model.forward(padded, target);
    expectClose(b.logits, a.logits, 1e-5);
    expectClose(b.alignments.slice(2, 0, 5), a.alignments, 1e-6);
  });

  it('lets step t see only the targets before t (teacher forcing)', () => {
    for (const style of ['luong', 'bahdanau'] as const) {
      const model = base(new Generator(42), { style }).eval();
      const changed = padSequences([[3, 4, 6, 2], [6, 2], [4, 3, 3, 2]]);
      const a = model.forward(source, target).logits;
      const b = model.forward(source, changed).logits;
      expectClose(b.slice(1, 0, 3), a.slice(1, 0, 3), 1e-6);
      expect(Math.abs(b.slice(1, 3).sub(a.slice(1, 3)).sum().item())).toBeGreaterThan(0);
    }
  });

  it('decodes greedily as the teacher-forced model would argmax, and beam 1 equals greedy', () => {
    const model = base(new Generator(43), { style: 'luong', inputFeeding: true, score: 'general', cell: 'gru' }).eval();
    const greedy = model.greedyDecode(source, { maxLength: 6 });
    const beam = model.beamSearch(source, { beamSize: 1, maxLength: 6 });
    greedy.forEach((hypothesis, b) => {
      expect(beam[b][0].tokens).toEqual(hypothesis.tokens);
      expect(beam[b][0].logProbability).toBeCloseTo(hypothesis.logProbability, 4);
      // Feeding the greedy output back as the target reproduces it as the argmax at each step.
      const fed = padSequences([[...hypothesis.tokens, ...(hypothesis.finished ? [2] : [])]]);
      const { logits, alignments } = model.forward(source.slice(0, b, b + 1), fed);
      const argmax = Array.from(logits.argmax(-1).dataSync()).slice(0, hypothesis.tokens.length);
      expect(argmax).toEqual(hypothesis.tokens);
      const rows = alignments.squeeze(0).toArray() as number[][];
      hypothesis.alignment.forEach((row, t) => expectClose(row, rows[t].slice(0, row.length), 1e-5));
    });
  });

  it('returns beams best first, with one alignment row per token over the real source', () => {
    const model = base(new Generator(44), { style: 'bahdanau', score: 'additive' }).eval();
    const results = model.beamSearch(source, { beamSize: 3, maxLength: 5 });
    expect(results).toHaveLength(3);
    results.forEach((hypotheses, b) => {
      expect(hypotheses.length).toBeGreaterThan(0);
      expect(hypotheses.length).toBeLessThanOrEqual(3);
      for (let index = 1; index < hypotheses.length; index++) expect(hypotheses[index - 1].score).toBeGreaterThanOrEqual(hypotheses[index].score);
      for (const hypothesis of hypotheses) {
        expect(hypothesis.alignment).toHaveLength(hypothesis.tokens.length);
        for (const row of hypothesis.alignment) {
          expect(row).toHaveLength([5, 2, 3][b]);
          expect(row.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 5);
        }
        expect(hypothesis.tokens.length).toBeLessThanOrEqual(5);
      }
    });
  });

  it('learns to reverse short sequences', () => {
    const generator = new Generator(45);
    const model = new Seq2Seq({ sourceVocabSize: 7, targetVocabSize: 7, embeddingDim: 8, hiddenSize: 24, cell: 'gru', generator });
    const optimizer = new Adam(model.parameters(), { lr: 0.02 });
    const sample = (): number[][] => Array.from({ length: 32 }, () => Array.from({ length: 2 + generator.nextInt(0, 3) }, () => generator.nextInt(3, 7)));
    for (let step = 0; step < 160; step++) {
      if (step === 100) optimizer.lr = 0.005;
      const sequences = sample();
      const { logits } = model.forward(padSequences(sequences), padSequences(sequences.map((sequence) => [...sequence].reverse().concat(2))));
      const loss = crossEntropy(logits.reshape([-1, 7]), padSequences(sequences.map((sequence) => [...sequence].reverse().concat(2))).reshape([-1]), { ignoreIndex: 0 });
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
    }
    model.eval();
    const test = sample();
    const decoded = model.greedyDecode(padSequences(test), { maxLength: 6 });
    const correct = decoded.filter((hypothesis, index) => hypothesis.tokens.join() === [...test[index]].reverse().join()).length;
    expect(correct / test.length).toBeGreaterThanOrEqual(0.9);
  }, 30_000);

  it('takes any recurrent layer as its encoder', () => {
    const encoder = new GRU(6, 5, { batchFirst: true, bidirectional: true, numLayers: 2 });
    const model = base(new Generator(46), { encoder, score: 'additive' });
    expect(model.encoder).toBe(encoder);
    expect(model.forward(source, target).logits.shape).toEqual([3, 4, 7]);
  });

  it('raises HeedError for bad input', () => {
    const model = base(new Generator(47));
    expect(() => model.forward(source.float(), target)).toThrowError(/argument source: expected dtype int32/);
    expect(() => model.forward(source, tensor([1, 2], { dtype: 'int32' }))).toThrowError(HeedError);
    expect(() => model.forward(source, target, { sourceLengths: [5, 2, 6] })).toThrowError(/lengths\[2\] is 6/);
    expect(() => model.forward(source, target, { teacherForcingRatio: 2 })).toThrowError(/teacherForcingRatio/);
    expect(() => base(new Generator(48), { score: 'dot', bidirectional: true })).toThrowError(/'dot' needs the decoder hidden size \(8\) to equal the memory depth \(16\)/);
    expect(() => base(new Generator(49), { encoder: new LSTM(6, 4, { batchFirst: false }) })).toThrowError(/batchFirst/);
  });
});
