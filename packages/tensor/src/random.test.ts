import { describe, expect, it } from 'vitest';
import { Generator, manualSeed, rand, randint, randn, randperm, uniform, ValueError } from './index.js';

describe('seeded randomness', () => {
  it('gives the same numbers for the same seed', () => {
    manualSeed(42);
    const a = randn([5]).toArray();
    manualSeed(42);
    expect(randn([5]).toArray()).toEqual(a);
    expect(new Generator(7).nextUint32()).toBe(new Generator(7).nextUint32());
    expect(new Generator(7).nextUint32()).not.toBe(new Generator(8).nextUint32());
  });

  it('follows the requested distributions', () => {
    const generator = new Generator(1);
    const normal = Array.from(randn([20000], { generator }).dataSync());
    const mean = normal.reduce((a, b) => a + b, 0) / normal.length;
    const variance = normal.reduce((a, b) => a + (b - mean) ** 2, 0) / normal.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    const uniformValues = Array.from(rand([20000], { generator }).dataSync());
    expect(Math.min(...uniformValues)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...uniformValues)).toBeLessThan(1);
    const ints = Array.from(randint(3, 6, [1000], { generator }).dataSync());
    expect(new Set(ints)).toEqual(new Set([3, 4, 5]));
    const perm = Array.from(randperm(10, { generator }).dataSync()).sort((a, b) => a - b);
    expect(perm).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('rejects impossible ranges', () => {
    expect(() => uniform([2], 1, 0)).toThrow(ValueError);
    expect(() => randint(2, 2, [1])).toThrow(ValueError);
    expect(() => manualSeed(Number.NaN)).toThrow(ValueError);
  });
});
