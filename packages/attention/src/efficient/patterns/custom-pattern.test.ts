import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, ValueError, logicalAnd, randn } from '@heed/tensor';
import { gradcheck } from '@heed/tensor/testing';
import { paddingMask } from '../../masks.js';
import { customPattern, slidingWindowPattern, sparseAttention, sparseAttentionCost, unionPatterns, type KeyPredicate } from '../index.js';
import { denseAttention, expectSameAttention, leaves, positionMask } from '../reference.test-helper.js';

/** The mask `[L, S]` of a predicate, by brute force. */
function bruteMask(queryLength: number, keyLength: number, allows: KeyPredicate): boolean[][] {
  return Array.from({ length: queryLength }, (_, row) => Array.from({ length: keyLength }, (_, column) => allows(row, column, queryLength, keyLength)));
}

/** A predicate counting its calls. */
function counted(allows: KeyPredicate): { allows: KeyPredicate; calls: () => number } {
  let calls = 0;
  return {
    allows: (row, column, queryLength, keyLength) => {
      calls++;
      return allows(row, column, queryLength, keyLength);
    },
    calls: () => calls,
  };
}

const rules: [string, KeyPredicate][] = [
  ['prefix LM', (row, column) => column < 3 || column <= row],
  ['diagonal', (row, column) => column === row],
  ['hashed', (row, column) => (row * 7 + column * 3) % 5 === 0],
  ['even rows see nothing', (row, column) => row % 2 === 1 && column % 3 !== 1],
  ['uses L and S', (row, column, queryLength, keyLength) => column >= keyLength - 2 || row === queryLength - 1],
];

describe('customPattern equals full attention with its mask', () => {
  it.each(rules)('%s: allows, keys and keys + allows; causal and padding (forward and gradients)', (_, rule) => {
    const generator = new Generator(5);
    for (const [queryLength, keyLength] of [[7, 7], [5, 9], [9, 4]]) {
      const listed = (row: number): number[] => Array.from({ length: keyLength }, (_, column) => column).filter((column) => rule(row, column, queryLength, keyLength));
      const patterns = [
        customPattern(rule),
        customPattern({ keys: listed }),
        customPattern({ keys: () => [{ start: -2, end: keyLength + 3 }], allows: rule }),
        customPattern(rule, { blockSize: 3 }),
      ];
      const want = bruteMask(queryLength, keyLength, rule);
      for (const pattern of patterns) expect(pattern.denseMask(queryLength, keyLength).toArray()).toEqual(want);
      const mask = paddingMask([keyLength, Math.max(1, keyLength - 2)], keyLength);
      for (const causal of [false, true]) {
        for (const pattern of [...patterns, customPattern(rule, { causal })]) {
          const inputs = leaves(generator, [2, 2, queryLength, 3], [2, 2, keyLength, 3], [2, 2, keyLength, 2]);
          const keep = logicalAnd(logicalAnd(pattern.denseMask(queryLength, keyLength), positionMask(queryLength, keyLength, causal)), mask);
          expectSameAttention((q, k, v) => sparseAttention(q, k, v, { pattern, mask, causal }), (q, k, v) => denseAttention(q, k, v, keep), inputs);
        }
      }
    }
  });

  it('keys as indices, stepped spans and repeats give the same mask as the predicate (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 4 }), fc.nat(50), (queryLength, keyLength, step, seed) => {
        const offset = (row: number): number => (row * 5 + seed) % (keyLength + 4) - 2;
        const rule: KeyPredicate = (row, column) => (column - offset(row)) % step === 0 && column >= offset(row) && column < offset(row) + 6;
        const byKeys = customPattern({ keys: (row) => [{ start: offset(row), end: offset(row) + 6, step }, ...[...Array(keyLength).keys()].filter((column) => rule(row, column, queryLength, keyLength))] });
        expect(byKeys.denseMask(queryLength, keyLength).toArray()).toEqual(bruteMask(queryLength, keyLength, rule));
      }),
      { numRuns: 80 },
    );
  });

  it('rows with no allowed key give zero output and zero gradients', () => {
    const pattern = customPattern({ keys: (row) => (row < 2 ? [] : [0, row - 1]) });
    const [query, key, value] = leaves(new Generator(2), [1, 6, 3], [1, 6, 3], [1, 6, 2]);
    const output = sparseAttention(query, key, value, { pattern });
    output.sum().backward();
    expect(Array.from(output.dataSync().slice(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(query.grad!.dataSync().slice(0, 6))).toEqual([0, 0, 0, 0, 0, 0]);
    for (const grad of [query.grad!, key.grad!, value.grad!]) expect(grad.dataSync().every(Number.isFinite)).toBe(true);
    expect(customPattern(() => false).denseMask(3).toArray()).toEqual(bruteMask(3, 3, () => false));
  });

  it('passes a finite-difference gradient check, with keys and with a predicate', () => {
    const generator = new Generator(8);
    const inputs = [randn([1, 2, 7, 3], { generator }), randn([1, 2, 7, 3], { generator }), randn([1, 2, 7, 2], { generator })];
    for (const pattern of [customPattern({ keys: (row) => [0, { start: row - 2, end: row + 1 }] }), customPattern((row, column) => (row + column) % 3 !== 0)]) {
      const result = gradcheck((q, k, v) => sparseAttention(q, k, v, { pattern, causal: true }), inputs);
      expect(result.ok, result.message).toBe(true);
    }
  });

  it('unions with built-in patterns', () => {
    const pattern = unionPatterns([slidingWindowPattern({ window: 2 }), customPattern({ keys: () => [0] })], { causal: true });
    const [query, key, value] = leaves(new Generator(3), [2, 9, 4], [2, 9, 4], [2, 9, 3]);
    const keep = bruteMask(9, 9, (row, column) => column <= row && (Math.abs(row - column) < 2 || column === 0));
    expect(pattern.denseMask(9).toArray()).toEqual(keep);
    expectSameAttention((q, k, v) => sparseAttention(q, k, v, { pattern }), (q, k, v) => denseAttention(q, k, v, pattern.denseMask(9)), [query, key, value]);
  });
});

describe('customPattern work follows the allowed pairs', () => {
  it('a predicate alone is called once per pair, however often the pattern is used', () => {
    const [queryLength, keyLength] = [24, 20];
    const rule = counted((row, column) => (row * 3 + column) % 7 === 0);
    const pattern = customPattern(rule.allows);
    const [query, key, value] = leaves(new Generator(1), [2, 3, queryLength, 4], [2, 3, keyLength, 4], [2, 3, keyLength, 4]);
    sparseAttention(query, key, value, { pattern }).sum().backward();
    sparseAttention(query, key, value, { pattern, causal: true });
    pattern.denseMask(queryLength, keyLength);
    pattern.keyBlocks(queryLength, keyLength, 4);
    const cost = sparseAttentionCost(pattern, queryLength, keyLength);
    expect(rule.calls()).toBe(queryLength * keyLength);
    expect(cost.examinedPairs).toBe(queryLength * keyLength);
    // A causal pattern never asks about keys after the aligned position (p = i + S - L).
    const causalRule = counted(() => true);
    customPattern(causalRule.allows, { causal: true }).denseMask(queryLength, keyLength);
    let within = 0;
    for (let row = 0; row < queryLength; row++) within += Math.max(0, Math.min(keyLength, row + keyLength - queryLength + 1));
    expect(causalRule.calls()).toBe(within);
  });

  it('with keys, planning calls the rule only for the listed keys', () => {
    const length = 512;
    let keyCalls = 0;
    const rule = counted((row, column) => column !== row - 1);
    const pattern = customPattern({
      keys: (row) => {
        keyCalls++;
        return [{ start: row - 3, end: row + 1 }];
      },
      allows: rule.allows,
    });
    const cost = sparseAttentionCost(pattern, length);
    const listed = length * 4 - 6; // rows 0 … 2 lose keys below 0
    expect(keyCalls).toBe(length);
    expect(rule.calls()).toBe(listed);
    expect(cost.examinedPairs).toBe(listed);
    expect(cost.allowedPairs).toBe(listed - (length - 1));
  });

  it('computes O(allowed pairs + L) scores for a scattered predicate (the diagonal)', () => {
    const { allowedPairs, computedPairs } = sparseAttentionCost(customPattern((row, column) => column === row), 256);
    expect(allowedPairs).toBe(256);
    expect(computedPairs).toBeLessThanOrEqual(4 * allowedPairs);
  });

  it('computes O(allowed pairs + L) scores for scattered keys (random keys, empty rows)', () => {
    const length = 256;
    const generator = new Generator(4);
    const random = Array.from({ length }, () => [...new Set(Array.from({ length: 3 }, () => Math.floor(generator.nextFloat() * length)))]);
    const patterns = [customPattern({ keys: (row) => random[row] }), customPattern({ keys: (row) => (row % 3 === 0 ? [] : [row, (row * 37) % length]) })];
    for (const pattern of patterns) {
      const { allowedPairs, computedPairs } = sparseAttentionCost(pattern, length);
      expect(allowedPairs).toBeGreaterThan(0);
      expect(computedPairs).toBeLessThanOrEqual(5 * allowedPairs + 2 * length);
    }
    // Dense custom patterns still group rows (few, large steps): a prefix LM computes < 1.3× its pairs.
    const prefix = sparseAttentionCost(customPattern((row, column) => column < 16 || column <= row), length);
    expect(prefix.computedPairs).toBeLessThan(1.3 * prefix.allowedPairs);
  });
});

describe('customPattern errors', () => {
  it('names keys or allows and the row for bad rules', () => {
    expect(() => customPattern({ keys: () => [5] }).denseMask(3, 4)).toThrow(/argument keys: row 0: key 5 is outside the 4 keys/);
    expect(() => customPattern({ keys: () => [1.5] }).denseMask(3)).toThrow(/argument keys: row 0: expected a whole key index or a \{ start, end, step\? \} span, got 1.5/);
    expect(() => customPattern({ keys: () => [{ start: 0, end: 2, step: 0 }] }).denseMask(3)).toThrow(/span step must be a whole number >= 1/);
    expect(() => customPattern({ keys: () => 3 as never }).denseMask(3)).toThrow(/expected keys\(row, L, S\) to return an iterable/);
    expect(() => customPattern({})).toThrow(ValueError);
    expect(() => customPattern('rule' as never)).toThrow(/argument allows/);
    expect(() => customPattern({ keys: 'rows' as never })).toThrow(/argument keys/);
  });
});
