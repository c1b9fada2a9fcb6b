import { Generator } from '@heed/tensor';
import { describe, expect, it } from 'vitest';
import { evaluateListOps, formatListOps, listOpsTask, listOpsTokens, randomListOps, LISTOPS_TOKENS, type ListOpsNode } from '../src/tasks/index.js';

const op = (operator: 'MAX' | 'MIN' | 'MED' | 'SM', ...args: ListOpsNode[]): ListOpsNode => ({ operator, arguments: args });

describe('ListOps', () => {
  it('evaluates hand-made expressions', () => {
    // Nangia & Bowman's example: [MAX 2 9 [MIN 4 7 ] 0 ] = 9.
    expect(evaluateListOps(op('MAX', 2, 9, op('MIN', 4, 7), 0))).toBe(9);
    expect(evaluateListOps(op('MIN', 5, op('MAX', 1, 3), 8))).toBe(3);
    expect(evaluateListOps(op('SM', 7, 8, 9))).toBe(4); // 24 mod 10
    expect(evaluateListOps(op('MED', 3, 1, 2))).toBe(2);
    expect(evaluateListOps(op('MED', 1, 4))).toBe(2); // int(np.median([1, 4])) = int(2.5)
    expect(evaluateListOps(op('MED', 9, 0, 7, 1))).toBe(4); // median of 0 1 7 9 = 4
    expect(evaluateListOps(op('SM', op('MED', 9, 9, 1), op('MAX', 0, 6), 5))).toBe(0); // 9 + 6 + 5 = 20
  });

  it('writes and tokenises expressions prefix-first with a close bracket per operator', () => {
    const expression = op('MAX', 2, op('SM', 4, 7));
    expect(formatListOps(expression)).toBe('[MAX 2 [SM 4 7 ] ]');
    expect(listOpsTokens(expression)).toEqual([11, 3, 14, 5, 8, 15, 15]);
  });

  it('generates expressions within [T/2, T] tokens whose targets are their values', () => {
    const task = listOpsTask();
    const length = 64;
    const batch = task.generate(50, length, new Generator(3));
    for (let b = 0; b < batch.batch; b++) {
      // Decode the one-hot inputs back into tokens (pads first), rebuild the tree and evaluate it.
      const tokens: number[] = [];
      for (let t = 0; t < length; t++) {
        const row = batch.inputs.subarray((b * length + t) * task.features, (b * length + t + 1) * task.features);
        expect(row.reduce((total, value) => total + value, 0)).toBe(1);
        tokens.push(row.indexOf(1));
      }
      const body = tokens.slice(tokens.findIndex((token) => token !== LISTOPS_TOKENS.pad));
      expect(body.length).toBeGreaterThanOrEqual(length / 2);
      expect(body.at(-1)).toBe(LISTOPS_TOKENS.close);
      let position = 0;
      const parse = (): ListOpsNode => {
        const token = body[position++];
        if (token < LISTOPS_TOKENS.operator) return token - LISTOPS_TOKENS.digit;
        const node = { operator: (['MAX', 'MIN', 'MED', 'SM'] as const)[token - LISTOPS_TOKENS.operator], arguments: [] as ListOpsNode[] };
        while (body[position] !== LISTOPS_TOKENS.close) node.arguments.push(parse());
        position++;
        return node;
      };
      const tree = parse();
      expect(position).toBe(body.length);
      expect(batch.targets[b]).toBe(evaluateListOps(tree));
    }
  });

  it('has a sane class distribution: every digit occurs, none dominates', () => {
    const task = listOpsTask();
    const batch = task.generate(1000, 128, new Generator(11));
    const counts = new Array<number>(10).fill(0);
    for (const target of batch.targets) counts[target]++;
    expect(counts.every((count) => count > 0)).toBe(true);
    expect(Math.max(...counts) / batch.batch).toBeLessThan(0.4);
    const baseline = task.baseline(batch, task.generate(500, 128, new Generator(12)));
    expect(baseline.score).toBeGreaterThan(0.1);
    expect(baseline.score).toBeLessThan(0.4);
  });

  it('is reproducible from its seed and reaches long lengths', () => {
    const a = randomListOps(512, new Generator(5));
    expect(formatListOps(a)).toBe(formatListOps(randomListOps(512, new Generator(5))));
    expect(listOpsTokens(a).length).toBeGreaterThanOrEqual(256);
    expect(listOpsTokens(a).length).toBeLessThanOrEqual(512);
  });
});
