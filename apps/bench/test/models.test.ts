import { Generator, randn } from '@heed/tensor';
import type { LSTM } from '@heed/rnn';
import { describe, expect, it } from 'vitest';
import { SEQUENCE_MODEL_KINDS, buildSequenceModel, isTransformer, hiddenForBudget, inputParameterCount, modelName, parameterCount } from '../src/models/sequence-models.js';
import { addingProblemTask } from '../src/tasks/index.js';
import { beatsBaseline } from '../src/suites/learn.js';
import { gradientNormsByDistance } from '../src/suites/gradients.js';
import { learningRateAt } from '../src/training/train.js';

describe('sequence models', () => {
  it.each(SEQUENCE_MODEL_KINDS)('%s: the parameter formula matches the module, sized near the budget without input weights', (kind) => {
    const model = buildSequenceModel(kind, { features: 10, classes: 8, targetParameters: 3000, generator: new Generator(1) });
    const counted = model.module.parameters().reduce((total, parameter) => total + parameter.size, 0);
    expect(counted).toBe(parameterCount(kind, 10, 8, model.hidden));
    expect(Math.abs(counted - inputParameterCount(kind, 10, model.hidden) - 3000) / 3000).toBeLessThan(0.2);
    expect(model.name).toBe(modelName(kind, 64));
    if (isTransformer(kind)) expect(Object.keys(model.module.stateDict())).toContain('encoder.layers.0.self_attn.in_proj_weight');
    expect(model.forward(randn([3, 7, 10]), 2).shape).toEqual([3, 2, 8]);
  });

  it('hiddenForBudget picks the closest size', () => {
    const hidden = hiddenForBudget('lstm', 2, 1, 4000);
    const error = (h: number) => Math.abs(parameterCount('lstm', 2, 1, h) - inputParameterCount('lstm', 2, h) - 4000);
    expect(error(hidden)).toBeLessThanOrEqual(error(hidden - 1));
    expect(error(hidden)).toBeLessThanOrEqual(error(hidden + 1));
  });

  it('the same seed builds the same initial weights', () => {
    const build = () => buildSequenceModel('gru', { features: 2, classes: 1, targetParameters: 500, generator: new Generator(42) });
    const x = randn([2, 5, 2], { generator: new Generator(3) });
    expect(build().forward(x, 1).toArray()).toEqual(build().forward(x, 1).toArray());
  });
});

describe('gradient flow', () => {
  it('measures one finite, non-negative norm per position, non-zero at the last one', () => {
    const task = addingProblemTask();
    const batch = task.generate(4, 12, new Generator(2));
    for (const kind of ['rnn', 'transformer-memory-efficient', 'transformer-local', 'transformer-linear'] as const) {
      const model = buildSequenceModel(kind, { features: 2, classes: 1, targetParameters: 800, generator: new Generator(5) });
      const norms = gradientNormsByDistance(model, batch);
      expect(norms).toHaveLength(12);
      expect(norms.every((norm) => Number.isFinite(norm) && norm >= 0)).toBe(true);
      expect(norms[0]).toBeGreaterThan(0);
    }
  });
});

describe('training helpers', () => {
  it('warms up, then decays the learning rate to 10%', () => {
    expect(learningRateAt(0, 100, 1)).toBeCloseTo(0.2);
    expect(learningRateAt(4, 100, 1)).toBeCloseTo(1);
    expect(learningRateAt(99, 100, 1)).toBeCloseTo(0.1, 2);
  });

  it('a model must beat the baseline by a margin, not by noise', () => {
    expect(beatsBaseline('accuracy', 0.2, 0.125)).toBe(true);
    expect(beatsBaseline('accuracy', 0.15, 0.125)).toBe(false);
    expect(beatsBaseline('mse', 0.1, 0.167)).toBe(true);
    expect(beatsBaseline('mse', 0.15, 0.167)).toBe(false);
  });
});

describe('LSTM forget-gate bias', () => {
  it('starts the forget gate open (input bias 1 on the second quarter)', () => {
    const model = buildSequenceModel('lstm', { features: 2, classes: 1, targetParameters: 600, generator: new Generator(1) });
    const layer = (model.module as unknown as { layer: LSTM }).layer;
    const bias = Array.from(layer.parameter('bias_ih_l0').dataSync());
    const h = model.hidden;
    expect(bias.slice(h, 2 * h).every((value) => value === 1)).toBe(true);
    expect(bias.slice(0, h).some((value) => value !== 1)).toBe(true);
  });
});
