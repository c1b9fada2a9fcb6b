import { describe, expect, it } from 'vitest';
import { AdamW, Generator, ValueError, Vocabulary, crossEntropy, noGrad, tensor, type Tensor } from './example-imports.js';
import { DecoderOnlyLanguageModel, sampleLogits } from './language-model.js';

const idsOf = (rows: number[][]): Tensor => tensor(rows, { dtype: 'int32' });
const small = (options: Partial<ConstructorParameters<typeof DecoderOnlyLanguageModel>[0]> = {}) =>
  new DecoderOnlyLanguageModel({ vocabSize: 11, contextLength: 12, dModel: 16, nhead: 4, numLayers: 2, generator: new Generator(3), ...options });

describe('DecoderOnlyLanguageModel', () => {
  it('maps [B, T] ids to [B, T, V] logits, with PyTorch-style parameter names', () => {
    const model = small();
    expect(model.forward(idsOf([[1, 2, 3, 4, 5], [5, 4, 3, 2, 1]])).shape).toEqual([2, 5, 11]);
    const names = Object.keys(model.stateDict());
    expect(names).toContain('token_embedding.weight');
    expect(names).toContain('position_embedding.weight');
    expect(names).toContain('encoder.layers.1.self_attn.in_proj_weight');
    expect(names).toContain('encoder.layers.0.linear1.weight');
    expect(names).toContain('encoder.norm.weight');
    expect(names).not.toContain('lm_head.weight');
    const untied = small({ tieWeights: false });
    expect(Object.keys(untied.stateDict())).toContain('lm_head.weight');
    expect(untied.numParameters() - model.numParameters()).toBe(11 * 16);
  });

  it('gives each block its own initial weights', () => {
    const state = small().stateDict();
    const first = state['encoder.layers.0.linear1.weight'].dataSync();
    const second = state['encoder.layers.1.linear1.weight'].dataSync();
    expect(Array.from(first)).not.toEqual(Array.from(second));
  });

  it('is causal: changing a later token leaves earlier logits unchanged', () => {
    const model = small().eval();
    const a = model.forward(idsOf([[1, 2, 3, 4, 5]])).toArray() as number[][][];
    const b = model.forward(idsOf([[1, 2, 3, 9, 9]])).toArray() as number[][][];
    for (let t = 0; t < 3; t++) for (let v = 0; v < 11; v++) expect(b[0][t][v]).toBeCloseTo(a[0][t][v], 5);
    expect(Math.abs(b[0][3][0] - a[0][3][0])).toBeGreaterThan(1e-6);
  });

  it('gives the same logits one token at a time through the key/value caches as the full re-computation of each prefix', () => {
    const model = small({ dropout: 0.1 }).eval();
    const sequence = [[4, 1, 7, 7, 2, 9, 0, 3, 5, 10], [2, 2, 8, 1, 6, 3, 3, 9, 4, 7]];
    noGrad(() => {
      const caches = model.createCaches();
      for (let t = 0; t < sequence[0].length; t++) {
        const step = model.forward(idsOf(sequence.map((row) => [row[t]])), { caches }).dataSync();
        const prefix = model.forward(idsOf(sequence.map((row) => row.slice(0, t + 1))));
        // The last position of the full pass over the prefix, [B, V].
        const full = prefix.slice(1, t, t + 1).contiguous().dataSync();
        expect(step.length).toBe(2 * 11);
        for (let index = 0; index < step.length; index++) expect(Math.abs(step[index] - full[index])).toBeLessThan(1e-5);
      }
      expect(caches.every((cache) => cache.length === sequence[0].length)).toBe(true);
    });
  });

  it('continues a cached prompt given in one chunk exactly like the full pass', () => {
    const model = small().eval();
    noGrad(() => {
      const caches = model.createCaches();
      model.forward(idsOf([[1, 2, 3, 4]]), { caches });
      const next = model.forward(idsOf([[5, 6]]), { caches }).dataSync();
      const full = model.forward(idsOf([[1, 2, 3, 4, 5, 6]])).slice(1, 4, 6).contiguous().dataSync();
      for (let index = 0; index < next.length; index++) expect(Math.abs(next[index] - full[index])).toBeLessThan(1e-5);
    });
  });

  it('rejects bad ids and positions past the context length', () => {
    const model = small();
    expect(() => model.forward(idsOf([[1, 2]]).reshape([2]))).toThrow(/\[B, T\]/);
    expect(() => model.forward(idsOf([Array.from({ length: 13 }, () => 1)]))).toThrow(ValueError);
    const caches = model.createCaches();
    model.forward(idsOf([Array.from({ length: 12 }, () => 1)]), { caches });
    expect(() => model.forward(idsOf([[1]]), { caches })).toThrow(/context length 12/);
    expect(() => new DecoderOnlyLanguageModel({ vocabSize: 0, contextLength: 4 })).toThrow(ValueError);
    expect(() => model.generate([], { maxNewTokens: 3 })).toThrow(/prompt/);
  });

  it('learns a tiny repetitive text within a few dozen steps, then samples it greedily through the caches', () => {
    const text = 'the cat sat on the mat. '.repeat(12);
    const vocabulary = Vocabulary.fromText(text);
    const ids = vocabulary.encode(text);
    const context = 16;
    const generator = new Generator(7);
    const model = new DecoderOnlyLanguageModel({ vocabSize: vocabulary.size, contextLength: context, dModel: 32, nhead: 4, numLayers: 1, generator });
    const optimizer = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
    const batchOf = () => {
      const starts = Array.from({ length: 8 }, () => generator.nextInt(0, ids.length - context));
      return {
        input: idsOf(starts.map((start) => ids.slice(start, start + context))),
        target: idsOf(starts.map((start) => ids.slice(start + 1, start + context + 1))),
      };
    };
    const losses: number[] = [];
    for (let step = 0; step < 60; step++) {
      const { input, target } = batchOf();
      const loss = crossEntropy(model.forward(input).reshape([-1, vocabulary.size]), target.reshape([-1]));
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
    }
    // The start is near log V (uniform guessing); the text is almost deterministic.
    expect(losses[0]).toBeGreaterThan(0.8 * Math.log(vocabulary.size));
    expect(losses.at(-1)).toBeLessThan(0.25 * losses[0]);
    // Greedy decoding through the caches continues the text (9 new tokens fill the context of 16).
    expect(vocabulary.decode(model.generate(vocabulary.encode('the cat'), { maxNewTokens: 9, temperature: 0 }))).toBe(' sat on t');
    // Past the context length the caches restart from the last half-context and decoding goes on.
    const long = model.generate(vocabulary.encode('the cat'), { maxNewTokens: 40, temperature: 0 });
    expect(long.length).toBe(40);
    expect(vocabulary.decode(long)).toMatch(/^ sat on t/);
    expect(model.training).toBe(true);
  });

  it('decodes greedily exactly as the argmax of a full re-computation of each prefix', () => {
    const model = small();
    const cached = model.generate([4, 1], { maxNewTokens: 10, temperature: 0 });
    const sequence = [4, 1];
    noGrad(() => {
      for (let step = 0; step < 10; step++) {
        const logits = model.forward(idsOf([sequence])).slice(1, sequence.length - 1, sequence.length).reshape([11]);
        sequence.push(logits.argmax().item());
      }
    });
    expect(cached).toEqual(sequence.slice(2));
  });

  it('samples reproducibly for a seed', () => {
    const model = small();
    const draw = (seed: number) => model.generate([1, 2], { maxNewTokens: 15, temperature: 1.5, topK: 5, generator: new Generator(seed) });
    expect(draw(4)).toEqual(draw(4));
    expect(draw(4)).not.toEqual(draw(5));
  });
});

describe('sampleLogits', () => {
  const logits = [0.5, 3, -1, 2.5, 0];
  it('picks the largest at temperature 0 or with topK 1, and never a suppressed id', () => {
    const generator = new Generator(1);
    expect(sampleLogits(logits, { temperature: 0, generator })).toBe(1);
    for (let draw = 0; draw < 20; draw++) expect(sampleLogits(logits, { topK: 1, generator })).toBe(1);
    for (let draw = 0; draw < 20; draw++) expect(sampleLogits(logits, { temperature: 0, suppress: [1], generator })).toBe(3);
    expect(() => sampleLogits([1, 2], { suppress: [0, 1], generator })).toThrow(ValueError);
  });

  it('draws from softmax(logits / temperature) over the top k', () => {
    const generator = new Generator(2);
    const counts = [0, 0, 0, 0, 0];
    const draws = 4000;
    for (let draw = 0; draw < draws; draw++) counts[sampleLogits(logits, { topK: 2, temperature: 1, generator })]++;
    const expected = 1 / (1 + Math.exp(2.5 - 3)); // P(id 1) among {1, 3}
    expect(counts[0] + counts[2] + counts[4]).toBe(0);
    expect(Math.abs(counts[1] / draws - expected)).toBeLessThan(0.03);
  });
});
