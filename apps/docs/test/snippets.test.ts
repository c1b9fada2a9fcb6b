// Runs every snippet under snippets/ (the code the guides include with `<<< @/snippets/…`) and
// checks that it finishes, prints something, and prints its `// Output:` block when it has one.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compareLine, expectedOutput } from './expected-output.js';

const directory = join(import.meta.dirname, '../snippets');
const snippets = readdirSync(directory).filter((name) => name.endsWith('.ts')).sort();

describe('guide snippets', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('exist', () => {
    expect(snippets.length).toBeGreaterThan(0);
  });

  for (const name of snippets) {
    it(`${name} runs and prints what the guide says`, async () => {
      const printed: string[] = [];
      vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
        printed.push(parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(' '));
      });
      await import(pathToFileURL(join(directory, name)).href);
      vi.restoreAllMocks();
      const output = printed.join('\n').split('\n');
      const source = readFileSync(join(directory, name), 'utf8');
      // A snippet that only exports (a model other snippets and the demos use) need not print.
      if (!source.includes('console.log')) return;
      expect(printed.length, `${name} printed nothing`).toBeGreaterThan(0);
      const expected = expectedOutput(source);
      if (expected === null) return;
      expect(output.length, `${name} printed:\n${output.join('\n')}`).toBe(expected.length);
      const problems = expected.map((line, i) => compareLine(output[i] ?? '', line)).filter((problem) => problem !== null);
      expect(problems, `${name} printed:\n${output.join('\n')}`).toEqual([]);
    });
  }
});
