import { describe, expect, it } from 'vitest';
import { compareLine, expectedOutput } from './expected-output.js';

describe('expectedOutput', () => {
  it('reads the comment lines after // Output:', () => {
    const source = "console.log(1);\n\n// Output:\n// tensor([1])\n//   two  words\n";
    expect(expectedOutput(source)).toEqual(['tensor([1])', '  two  words']);
  });
  it('is null without an Output block', () => {
    expect(expectedOutput('console.log(1);\n// a comment\n')).toBeNull();
  });
});

describe('compareLine', () => {
  it('accepts rounded numbers within the tolerance', () => {
    expect(compareLine('weights [0.42231878, 0.1553624]', 'weights [0.4223, 0.1554]')).toBeNull();
  });
  it('rejects numbers that differ', () => {
    expect(compareLine('weights [0.52, 0.16]', 'weights [0.42, 0.16]')).toMatch(/number 1 differs/);
  });
  it('rejects different text and a different count of numbers', () => {
    expect(compareLine('scores [1, 2]', 'weights [1, 2]')).not.toBeNull();
    expect(compareLine('scores [1, 2, 3]', 'scores [1, 2]')).not.toBeNull();
  });
  it('lets … stand for any text', () => {
    expect(compareLine('took 12.5 ms on cpu', 'took … ms on cpu')).toBeNull();
    expect(compareLine('took 12.5 s on cpu', 'took … ms on cpu')).not.toBeNull();
  });
  it('compares lines marked ≈ within 10% or 0.01', () => {
    expect(compareLine('loss 0.0031, error 0.52', '≈ loss 0.0003, error 0.50')).toBeNull();
    expect(compareLine('loss 0.0200, error 0.52', '≈ loss 0.0003, error 0.50')).not.toBeNull();
    expect(compareLine('loss 0.0003, error 0.60', '≈ loss 0.0003, error 0.50')).not.toBeNull();
  });
  it('compares large numbers relatively and infinities exactly', () => {
    expect(compareLine('loss 12345.6', 'loss 12346')).toBeNull();
    expect(compareLine('-Infinity', '-Infinity')).toBeNull();
    expect(compareLine('Infinity', '-Infinity')).not.toBeNull();
  });
});
