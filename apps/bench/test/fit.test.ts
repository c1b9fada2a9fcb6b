import { describe, expect, it } from 'vitest';
import { fitPowerLaw, fitScaling, predict } from '../src/harness/fit.js';
import { measure, median } from '../src/harness/timing.js';

describe('fitPowerLaw', () => {
  it('recovers exponent and coefficient of an exact power law', () => {
    const xs = [128, 256, 512, 1024];
    const fit = fitPowerLaw(xs, xs.map((x) => 3e-4 * x ** 2));
    expect(fit?.exponent).toBeCloseTo(2, 10);
    expect(fit?.coefficient).toBeCloseTo(3e-4, 10);
    expect(fit?.r2).toBeCloseTo(1, 10);
    expect(predict(fit!, 2048)).toBeCloseTo(3e-4 * 2048 ** 2, 3);
  });

  it('ignores non-positive and non-finite points and needs two distinct sizes', () => {
    expect(fitPowerLaw([1, 2, 4], [0, Number.NaN, 5])).toBeNull();
    expect(fitPowerLaw([4, 4], [1, 2])).toBeNull();
    expect(fitPowerLaw([1, 2, 4], [-1, 2, 4])?.exponent).toBeCloseTo(1, 10);
  });

  it('fitScaling uses the largest sizes, where fixed costs fade', () => {
    // A fixed overhead of 100 dominates the small sizes of a quadratic.
    const points = [16, 32, 64, 128, 256, 512, 1024, 2048].map((size) => ({ size, value: 100 + size * size }));
    const tail = fitScaling(points, 3);
    const all = fitScaling(points, 8);
    expect(tail!.exponent).toBeGreaterThan(1.95);
    expect(all!.exponent).toBeLessThan(tail!.exponent);
    expect(tail!.sizes).toEqual([512, 1024, 2048]);
    expect(fitScaling([{ size: 1, value: null }, { size: 2, value: 3 }])).toBeNull();
  });
});

describe('measure', () => {
  it('takes the median of at least minRepeats runs after the warm-up', async () => {
    let calls = 0;
    const result = await measure(() => calls++, { warmup: 2, minRepeats: 4, maxRepeats: 4, budgetMs: 10_000 });
    expect(calls).toBe(6);
    expect(result.samplesMs).toHaveLength(4);
    expect(result.warmup).toBe(2);
    expect(result.medianMs).toBe(median(result.samplesMs));
  });

  it('times a slow call once', async () => {
    let calls = 0;
    const slow = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 30));
    };
    const single = await measure(slow, { warmup: 1, minRepeats: 5, slowMs: 10 });
    expect(single.singleRun).toBe(true);
    expect(calls).toBe(2);
    calls = 0;
    const reused = await measure(slow, { warmup: 1, minRepeats: 5, budgetMs: 10 });
    expect(reused.includesWarmup).toBe(true);
    expect(calls).toBe(1);
    expect(reused.medianMs).toBeGreaterThanOrEqual(25);
  });

  it('median of an even list averages the middle pair', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
