import { describe, expect, it } from 'vitest';
import { learnFindings, gradientFindings, exponentialDecayFit } from '../src/report/findings.js';
import { summarize } from '../src/report/learn-summary.js';
import { timeToTargetText, convergenceText } from '../src/report/tables.js';
import { presetConfig, applyLearnOverrides } from '../src/config.js';
import type { LearnRow } from '../src/results.js';
import { convergence, meetsTarget, timeToTarget, type CurvePoint } from '../src/training/convergence.js';

/** A curve of `steps` points every 10 steps following `loss(step)`, one second per 10 steps. */
function curve(steps: number, loss: (step: number) => number, score: (step: number) => number = () => 0): CurvePoint[] {
  return Array.from({ length: steps / 10 }, (_, index) => {
    const step = (index + 1) * 10;
    return { step, loss: loss(step), score: score(step), seconds: step / 10 };
  });
}

describe('convergence flag', () => {
  it('is converged when the loss is flat over the last fifth', () => {
    expect(convergence(curve(200, () => 0.5), 200).status).toBe('converged');
    // Fell earlier, flat at the end.
    expect(convergence(curve(200, (step) => (step < 100 ? 2 - step / 100 : 1)), 200).status).toBe('converged');
  });

  it('is still improving when the loss falls by more than 1 % over the last fifth', () => {
    const result = convergence(curve(200, (step) => 2 - step / 200), 200);
    expect(result.status).toBe('still-improving');
    // From 1.2 at step 160 to 1.0 at step 200: a fall of 1/6.
    expect(result.relativeDrop).toBeCloseTo(0.2 / 1.2, 6);
  });

  it('is not fooled by noise around a flat loss, and says unknown with too few points', () => {
    const noisy = curve(200, (step) => 1 + (step % 20 === 0 ? 0.05 : -0.05));
    expect(convergence(noisy, 200).status).toBe('converged');
    expect(convergence(curve(20, () => 1), 200).status).toBe('unknown');
  });

  it('treats a rising loss as converged (no longer improving)', () => {
    const result = convergence(curve(100, (step) => step / 100), 100);
    expect(result.status).toBe('converged');
    expect(result.relativeDrop).toBeLessThan(0);
  });
});

describe('time to target', () => {
  it('finds the first window that meets the target, by accuracy or by MSE', () => {
    const rising = curve(100, () => 1, (step) => step / 100);
    expect(timeToTarget(rising, { metric: 'accuracy', value: 0.55 })).toEqual({ step: 60, seconds: 6 });
    const falling = curve(100, () => 1, (step) => 1 - step / 100);
    expect(timeToTarget(falling, { metric: 'mse', value: 0.25 })).toEqual({ step: 80, seconds: 8 });
    expect(timeToTarget(rising, { metric: 'accuracy', value: 1.5 })).toBeNull();
    expect(meetsTarget(0.9, { metric: 'accuracy', value: 0.9 })).toBe(true);
    expect(meetsTarget(0.06, { metric: 'mse', value: 0.05 })).toBe(false);
  });

  it('is shown as seconds at a step, or as not reached within the budget', () => {
    expect(timeToTargetText({ seeds: 1, reached: 1, meanSecondsToTarget: 3.25, meanStepsToTarget: 40, steps: 100 })).toBe('3.3 s @40');
    expect(timeToTargetText({ seeds: 3, reached: 2, meanSecondsToTarget: 2, meanStepsToTarget: 30, steps: 100 })).toBe('2.0 s @30 (2/3 seeds)');
    expect(timeToTargetText({ seeds: 3, reached: 0, meanSecondsToTarget: null, meanStepsToTarget: null, steps: 100 })).toBe('not reached within 100 steps');
    expect(convergenceText({ seeds: 1, converged: 0, stillImproving: 1 })).toBe('↗');
    expect(convergenceText({ seeds: 3, converged: 2, stillImproving: 1 })).toBe('2/3 conv');
  });
});

const config = presetConfig('full').learn;

function row(task: string, length: number, kind: string, score: number, options: { seedIndex?: number; still?: boolean; baseline?: number } = {}): LearnRow {
  const metric = task === 'adding' ? 'mse' : 'accuracy';
  const baseline = options.baseline ?? (metric === 'mse' ? 0.167 : 0.125);
  return {
    task,
    length,
    model: kind,
    kind,
    seedIndex: options.seedIndex ?? 0,
    parameters: 100,
    hidden: 16,
    metric,
    score,
    baseline,
    baselineName: 'baseline',
    beatsBaseline: metric === 'mse' ? score <= baseline * 0.8 : score >= baseline + 0.05,
    steps: 600,
    seconds: 10,
    finalLoss: 1,
    curve: [],
    convergence: { status: options.still ? 'still-improving' : 'converged', relativeDrop: options.still ? 0.1 : 0 },
    target: { metric, value: 0.9 },
    reached: null,
    seed: 1,
  };
}

const verdictOf = (rows: LearnRow[], topic: string): string | undefined =>
  learnFindings({ tasks: [], rows, config }).find((entry) => entry.expectation.includes(topic))?.verdict;

describe('learning findings', () => {
  it('summarises seeds into mean and spread', () => {
    const [entry] = summarize([row('copy', 256, 'lstm', 0.5), row('copy', 256, 'lstm', 0.7, { seedIndex: 1 }), row('copy', 256, 'lstm', 0.6, { seedIndex: 2, still: true })]);
    expect(entry.mean).toBeCloseTo(0.6, 10);
    expect(entry.spread).toBeCloseTo(0.1, 10);
    expect([entry.seeds, entry.converged, entry.stillImproving]).toEqual([3, 2, 1]);
  });

  it('adding problem: agrees, contradicts, inconclusive', () => {
    expect(verdictOf([row('adding', 256, 'lstm', 0.01), row('adding', 256, 'rnn', 0.165)], 'adding')).toBe('agrees');
    // Converged above the target but below the baseline: it learned something, not the task.
    expect(verdictOf([row('adding', 256, 'lstm', 0.1), row('adding', 256, 'rnn', 0.165)], 'adding')).toBe('contradicts');
    // Flat at the baseline after 600 steps: the plateau may last longer, so it cannot decide.
    expect(verdictOf([row('adding', 256, 'lstm', 0.16), row('adding', 256, 'rnn', 0.165)], 'adding')).toBe('inconclusive');
    expect(verdictOf([{ ...row('adding', 256, 'lstm', 0.16), steps: 5000 }, row('adding', 256, 'rnn', 0.165)], 'adding')).toBe('contradicts');
    expect(verdictOf([row('adding', 256, 'lstm', 0.16, { still: true }), row('adding', 256, 'rnn', 0.165)], 'adding')).toBe('inconclusive');
    expect(verdictOf([row('adding', 256, 'lstm', 0.01), row('adding', 256, 'rnn', 0.02)], 'adding')).toBe('contradicts');
    // Only lengths ≥ 100 are checked.
    expect(verdictOf([row('adding', 64, 'lstm', 0.01), row('adding', 64, 'rnn', 0.165)], 'adding')).toBeUndefined();
  });

  it('copy memory: agrees, contradicts, inconclusive', () => {
    const recurrent = (score: number) => ['rnn', 'lstm', 'gru'].map((kind) => row('copy', 512, kind, score));
    expect(verdictOf([...recurrent(0.13), row('copy', 512, 'transformer-memory-efficient', 0.99)], 'copy memory')).toBe('agrees');
    expect(verdictOf([...recurrent(0.6), row('copy', 512, 'transformer-memory-efficient', 0.99)], 'copy memory')).toBe('contradicts');
    expect(verdictOf([...recurrent(0.13), row('copy', 512, 'transformer-memory-efficient', 0.5, { still: true })], 'copy memory')).toBe('inconclusive');
  });

  it('MQAR: agrees when fixed-state models fall and softmax holds; inconclusive when softmax never learned it', () => {
    const fixed = (short: number, long: number) => ['rnn', 'lstm', 'gru', 'transformer-linear'].flatMap((kind) => [row('recall', 64, kind, short), row('recall', 512, kind, long)]);
    const softmax = (short: number, long: number) => [row('recall', 64, 'transformer-memory-efficient', short), row('recall', 512, 'transformer-memory-efficient', long)];
    expect(verdictOf([...fixed(0.8, 0.2), ...softmax(1, 0.98)], 'associative recall')).toBe('agrees');
    expect(verdictOf([...fixed(0.8, 0.2), ...softmax(1, 0.3)], 'associative recall')).toBe('contradicts');
    expect(verdictOf([...fixed(0.8, 0.8), ...softmax(1, 1)], 'associative recall')).toBe('contradicts');
    expect(verdictOf([...fixed(0.13, 0.13), ...softmax(0.13, 0.13)], 'associative recall')).toBe('inconclusive');
  });

  it('local window: agrees when it fails only beyond its window', () => {
    const within = [row('copy', 64, 'transformer-local', 0.95), row('copy', 64, 'transformer-memory-efficient', 0.97)];
    expect(verdictOf([...within, row('copy', 256, 'transformer-local', 0.13)], 'Local-window')).toBe('agrees');
    expect(verdictOf([...within, row('copy', 256, 'transformer-local', 0.8)], 'Local-window')).toBe('contradicts');
    const nothing = [row('copy', 64, 'transformer-local', 0.12), row('copy', 64, 'transformer-memory-efficient', 0.97)];
    expect(verdictOf([...nothing, row('copy', 256, 'transformer-local', 0.13)], 'Local-window')).toBe('inconclusive');
  });
});

describe('gradient finding', () => {
  const gradientRow = (model: string, norms: number[]) => ({ model, stage: 'init' as const, task: 'adding', length: norms.length, norms, steps: 0 });
  it('fits an exponential decay and says agrees, contradicts or inconclusive', () => {
    const decaying = Array.from({ length: 100 }, (_, distance) => 0.8 ** distance);
    const fit = exponentialDecayFit(decaying)!;
    expect(Math.exp(fit.slope)).toBeCloseTo(0.8, 6);
    expect(fit.r2).toBeCloseTo(1, 6);
    expect(gradientFindings({ rows: [gradientRow('rnn', decaying)] })[0].verdict).toBe('agrees');
    expect(gradientFindings({ rows: [gradientRow('rnn', Array.from({ length: 100 }, () => 1))] })[0].verdict).toBe('contradicts');
    // Falls by orders of magnitude, but in steps rather than along a line.
    const steps = Array.from({ length: 100 }, (_, distance) => (distance < 50 ? 1 : 1e-6) * (1 + (distance % 7)));
    expect(gradientFindings({ rows: [gradientRow('rnn', steps)] })[0].verdict).toBe('inconclusive');
  });
});

describe('learning-suite overrides', () => {
  it('narrows tasks, lengths and models, and trains full attention itself when memory-efficient is not chosen', () => {
    const chosen = applyLearnOverrides(presetConfig('quick'), { tasks: ['copy'], lengths: [1024], models: ['lstm', 'full'], seeds: 2, steps: 40 }).learn;
    expect(chosen.tasks).toEqual([{ name: 'copy', lengths: [1024] }]);
    expect(chosen.models).toEqual(['lstm', 'transformer-full']);
    expect(chosen.sharedRuns).toEqual({});
    expect([chosen.seeds, chosen.steps]).toEqual([2, 40]);
    expect(presetConfig('quick').learn.sharedRuns).toEqual({ 'transformer-full': { with: 'transformer-memory-efficient', from: 0 } });
  });
});
