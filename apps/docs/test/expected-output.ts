/**
 * Doctest-style checking of the guides' snippets: a snippet may end with a comment block that
 * starts with `// Output:`; each following `// ` line is a line the snippet must print. Numbers
 * are compared with a tolerance (the guides round), text exactly (up to runs of spaces), and
 * `…` matches any text within a line. A line that starts with `≈ ` (results of training, which
 * depend on floating-point summation order) compares numbers within 10% or 0.01.
 */

/** The expected lines of a snippet, or null when it declares none. */
export function expectedOutput(source: string): string[] | null {
  const lines = source.split('\n');
  const start = lines.findIndex((line) => line.trim() === '// Output:');
  if (start < 0) return null;
  const expected: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const match = /^\s*\/\/ ?(.*)$/.exec(line);
    if (!match) break;
    expected.push(match[1] ?? '');
  }
  return expected;
}

const numberPattern = /-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|NaN|-?Infinity/g;

function splitNumbers(line: string): { text: string[]; numbers: number[] } {
  const numbers = (line.match(numberPattern) ?? []).map(Number);
  const text = line.split(numberPattern).map((part) => part.replace(/\s+/g, ' '));
  return { text, numbers };
}

function closeEnough(actual: number, expected: number, tolerance: number): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Math.abs(actual - expected) <= (tolerance >= 0.1 ? Math.max(0.01, tolerance * Math.abs(expected)) : tolerance * Math.max(1, Math.abs(expected)));
}

/**
 * Why `actual` does not match the `expected` line, or null when it does. Numbers agree when they
 * are within `tolerance` (relative above 1, absolute below).
 */
export function compareLine(actual: string, expected: string, tolerance = 1e-3): string | null {
  if (expected.startsWith('≈ ')) return compareLine(actual, expected.slice(2), Math.max(tolerance, 0.1));
  if (expected.includes('…')) {
    const pattern = expected
      .split('…')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+'))
      .join('.*');
    return new RegExp(`^${pattern}$`).test(actual.trim()) ? null : `expected a line like "${expected}", got "${actual}"`;
  }
  const got = splitNumbers(actual.trim());
  const want = splitNumbers(expected.trim());
  if (got.text.join('#') !== want.text.join('#')) return `expected "${expected}", got "${actual}"`;
  if (got.numbers.length !== want.numbers.length) return `expected ${want.numbers.length} numbers in "${expected}", got "${actual}"`;
  const index = want.numbers.findIndex((value, i) => !closeEnough(got.numbers[i] ?? Number.NaN, value, tolerance));
  return index < 0 ? null : `number ${index + 1} differs: expected "${expected}", got "${actual}"`;
}
