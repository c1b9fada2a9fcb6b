import { Adam, DTypeError, embedding, Generator, ValueError, noGrad, randn, tensor, zeros, type Tensor } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { expectGradients } from '../test/plain-attention.js';
import { PointerGenerator, pointerGeneratorLoss, pointerGeneratorStep, type PointerGeneratorParameters } from './index.js';

const generator = new Generator(31);
const r = (...shape: number[]): Tensor => randn(shape, { generator });
const ids = (values: number[][]): Tensor => tensor(values, { dtype: 'int32' });
const VOCAB = 6;

/** A model with Dh = 4, Ds = 3, Dx = 2, V = 6. */
const model = (options = {}) => new PointerGenerator(4, 3, 2, VOCAB, { attentionDim: 5, generator: new Generator(2), ...options });
const probabilitiesOf = (logProbabilities: Tensor): Float32Array => logProbabilities.exp().dataSync() as Float32Array;

describe('pointerGeneratorStep', () => {
  // Batch 0: source "2 7 2 6" (7 and 6 are OOVs 1 and 0); batch 1: "1 0 8 3" (8 is OOV 2).
  const sourceIds = ids([[2, 7, 2, 6], [1, 0, 8, 3]]);
  const [encoderOutputs, state, input] = [r(2, 4, 4), r(2, 3), r(2, 2)];

  it('gives a distribution over the extended vocabulary that sums to 1: p_gen·P_vocab + (1 − p_gen)·copy', () => {
    const step = model().step(encoderOutputs, state, input, sourceIds, { coverage: r(2, 4).abs() });
    expect(step.logProbabilities.shape).toEqual([2, VOCAB + 3]);
    const p = probabilitiesOf(step.logProbabilities);
    const [pGen, vocab, weights, source] = [step.pGen, step.vocabProbabilities, step.weights, sourceIds].map((t) => t.dataSync());
    for (let n = 0; n < 2; n++) {
      const row = Array.from(p.slice(n * 9, n * 9 + 9));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      const expected = Array.from({ length: 9 }, (_, w) => (w < VOCAB ? pGen[n] * vocab[n * VOCAB + w] : 0));
      for (let i = 0; i < 4; i++) expected[source[n * 4 + i]] += (1 - pGen[n]) * weights[n * 4 + i];
      assertAllclose(tensor(row), expected, { abs: 1e-6, rel: 1e-5 });
    }
  });

  it('computes p_gen = σ(w_h*·h* + w_s·s + w_x·x + b_ptr) and the context from the weights', () => {
    const layer = model();
    const step = layer.step(encoderOutputs, state, input, sourceIds);
    const w = layer.switchWeight.dataSync();
    const b = layer.switchBias.dataSync()[0];
    const [context, s, x] = [step.context, state, input].map((t) => t.dataSync());
    for (let n = 0; n < 2; n++) {
      let total = b;
      for (let d = 0; d < 4; d++) total += w[d] * context[n * 4 + d];
      for (let d = 0; d < 3; d++) total += w[4 + d] * s[n * 3 + d];
      for (let d = 0; d < 2; d++) total += w[7 + d] * x[n * 2 + d];
      expect(step.pGen.dataSync()[n]).toBeCloseTo(1 / (1 + Math.exp(-total)), 6);
    }
    assertAllclose(step.context, step.weights.unsqueeze(1).matmul(encoderOutputs).squeeze(1).dataSync(), { abs: 1e-6, rel: 1e-6 });
  });

  it('with p_gen forced to 0 equals the copy distribution, and OOV ids receive copy mass', () => {
    const layer = model();
    noGrad(() => layer.loadStateDict({ ...layer.stateDict(), switchWeight: zeros([1, 9]), switchBias: tensor([-200]) }));
    const mask = tensor([[true, true, true, true], [true, true, true, false]]);
    const step = layer.step(encoderOutputs, state, input, sourceIds, { mask });
    expect(Array.from(step.pGen.dataSync())).toEqual([0, 0]);
    const p = probabilitiesOf(step.logProbabilities);
    const a = step.weights.dataSync();
    const copy = [
      [0, 0, a[0] + a[2], 0, 0, 0, a[3], a[1], 0],
      [a[5], a[4], 0, a[7], 0, 0, 0, 0, a[6]],
    ].flat();
    assertAllclose(tensor(Array.from(p)), copy, { abs: 1e-6, rel: 1e-5 });
    expect(a[7]).toBe(0); // the masked "3" of batch 1
    expect(p[7]).toBeGreaterThan(0.01); // OOV id 7 (slot 1) of batch 0
    expect(p[9 + 8]).toBeGreaterThan(0.01); // OOV id 8 (slot 2) of batch 1
    // An OOV slot a source does not hold reads log ε, finite.
    expect(step.logProbabilities.dataSync()[9 + 6]).toBeCloseTo(Math.log(1e-12), 3);
  });

  it('computes the coverage loss Σ min(a, c) on a hand-made case and carries c + a forward', () => {
    const layer = model();
    noGrad(() => layer.loadStateDict({ ...layer.stateDict(), v: zeros([5]) })); // every energy 0: uniform attention
    const coverage = tensor([[0.5, 0.1, 0.4, 0], [0.5, 0.1, 0.4, 0]]);
    const mask = tensor([[true, true, true, true], [true, true, true, false]]);
    const step = layer.step(encoderOutputs, state, input, sourceIds, { coverage, mask });
    // a = 1/4 each: .25 + .1 + .25 + 0; a = 1/3 on three keys: 1/3 + .1 + 1/3 + 0.
    assertAllclose(step.coverageLoss, [0.6, 0.1 + 2 / 3], { abs: 1e-6, rel: 1e-6 });
    assertAllclose(step.coverage, [0.75, 0.35, 0.65, 0.25, 0.5 + 1 / 3, 0.1 + 1 / 3, 0.4 + 1 / 3, 0], { abs: 1e-6, rel: 1e-6 });
    const sequence = layer.forward(encoderOutputs, r(2, 3, 3), r(2, 3, 2), sourceIds);
    assertAllclose(sequence.coverageLoss, [0, 1, 1, 0, 1, 1], { abs: 1e-6, rel: 1e-6 });
    assertAllclose(sequence.coverage, Array<number>(8).fill(0.75), { abs: 1e-6, rel: 1e-6 });
  });

  it('passes a gradient check with respect to the inputs, the coverage and every parameter', () => {
    const layer = new PointerGenerator(3, 2, 2, 4, { attentionDim: 3, outputHiddenSize: 3, generator: new Generator(9) });
    const names = Object.keys(layer.parameterSet()) as (keyof PointerGeneratorParameters)[];
    const source = ids([[1, 4, 5], [5, 0, 2]]);
    const mask = tensor([[true, true, true], [true, false, true]]);
    const fn = (h: Tensor, s: Tensor, x: Tensor, c: Tensor, ...values: Tensor[]): Tensor => {
      const parameters = Object.fromEntries(names.map((name, index) => [name, values[index]])) as unknown as PointerGeneratorParameters;
      const step = pointerGeneratorStep(h, s, x, source, parameters, { coverage: c, mask });
      return step.logProbabilities.add(step.coverageLoss.unsqueeze(1));
    };
    const parameters = layer.parameterSet();
    expectGradients(fn, [r(2, 3, 3), r(2, 2), r(2, 2), r(2, 3).abs(), ...names.map((name) => parameters[name]!.detach())]);
  });

  it('names the argument on bad input', () => {
    const layer = model();
    expect(() => layer.step(encoderOutputs, state, input, sourceIds.float())).toThrow(DTypeError);
    expect(() => layer.step(encoderOutputs, state, input, sourceIds, { oovCount: 2 })).toThrow(/id 8 needs 3 OOV slots after the 6-word vocabulary, but oovCount is 2/);
    expect(() => layer.step(encoderOutputs, r(2, 4), input, sourceIds)).toThrow(/stateWeight/);
    expect(() => layer.forward(encoderOutputs, r(2, 3, 3), r(2, 2, 2), sourceIds)).toThrow(/argument inputs/);
    expect(() => layer.step(encoderOutputs, state, input, ids([[1, 2], [3, 4]]))).toThrow(/sourceIds/);
    expect(() => layer.step(encoderOutputs, state, input, ids([[1, -1, 2, 3], [1, 2, 3, 4]]))).toThrow(ValueError);
  });
});

describe('pointerGeneratorLoss', () => {
  it('is −log P(target) + λ·coverage loss, averaged over the steps that are not ignored', () => {
    const logProbabilities = tensor([[[0.1, 0.7, 0.2], [0.5, 0.25, 0.25]]]).log();
    const output = { logProbabilities, weights: zeros([1, 2, 1]), pGen: zeros([1, 2]), coverageLoss: tensor([[0, 0.4]]), coverage: zeros([1, 1]) };
    const target = ids([[1, 0]]);
    expect(pointerGeneratorLoss(output, target).item()).toBeCloseTo((-Math.log(0.7) - Math.log(0.5) + 0.4) / 2, 5);
    expect(pointerGeneratorLoss(output, target, { coverageWeight: 0 }).item()).toBeCloseTo((-Math.log(0.7) - Math.log(0.5)) / 2, 5);
    expect(pointerGeneratorLoss(output, target, { ignoreIndex: 0 }).item()).toBeCloseTo(-Math.log(0.7), 5);
  });
});

describe('PointerGenerator training', () => {
  it('learns to copy an unseen source word (an OOV id beyond the vocabulary) in a few steps', () => {
    // Encoder states: a fixed random embedding per word, with every OOV sharing the <unk> vector,
    // as the encoder sees them. Batch 0 holds OOV id 7 at position 1, batch 1 OOV id 6 at position 3.
    const table = randn([VOCAB, 4], { generator: new Generator(4) });
    const sourceIds = ids([[2, 7, 3, 1], [4, 5, 2, 6]]);
    const encoderRows = ids([[2, 0, 3, 1], [4, 5, 2, 0]]); // id 0 = <unk>
    const encoded = embedding(encoderRows, table); // [2, 4, 4]
    const layer = model();
    const [states, inputs] = [r(2, 2, 3), r(2, 2, 2)];
    const target = ids([[7, 7], [6, 6]]);
    const optimizer = new Adam(layer.parameters(), { lr: 0.1 });
    const started = Date.now();
    const lossNow = () => pointerGeneratorLoss(layer.forward(encoded, states, inputs, sourceIds), target, { coverageWeight: 0 });
    const before = noGrad(() => lossNow().item());
    for (let iteration = 0; iteration < 40; iteration++) {
      optimizer.zeroGrad();
      lossNow().backward();
      optimizer.step();
    }
    const output = noGrad(() => layer.forward(encoded, states, inputs, sourceIds));
    expect(Array.from(output.logProbabilities.argmax(-1).dataSync())).toEqual([7, 7, 6, 6]);
    expect(noGrad(() => lossNow().item())).toBeLessThan(Math.min(0.3, before / 4));
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
