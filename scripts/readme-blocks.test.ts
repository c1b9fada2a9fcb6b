/**
 * Every TS/JS code block of the READMEs type-checks against the workspace packages and runs as
 * written (see readme-blocks.ts for which blocks, the `no-run`/`no-check` fence markers and the
 * fixture files). One test per block, named by README, block number and line; blocks are found on
 * every run, so a new block is tested without touching this file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allBlocks, blockName, extractBlocks, prepareScratch, removeScratch, runBlock, scratch, typeCheck, type ReadmeBlock } from './readme-blocks.js';

/** A block that runs longer than this fails (its worker is terminated). */
const RUN_TIMEOUT = 30_000;

const blocks = allBlocks();
let diagnostics = new Map<ReadmeBlock, string[]>();
const startedIn = process.cwd();

beforeAll(() => {
  prepareScratch(blocks);
  diagnostics = typeCheck(blocks);
  // Blocks read and write files relative to their working directory: the scratch folder. (The
  // worker threads share this process's directory; vitest's default `forks` pool allows chdir.)
  process.chdir(scratch);
}, 180_000);

afterAll(() => {
  process.chdir(startedIn);
  removeScratch();
});

describe('extractBlocks', () => {
  const text = ['# T', '```sh', 'npm test', '```', '```ts', 'const a = 1;', '```', '~~~typescript no-run', 'a;', '~~~', '````js', '```', '````', '```python', 'x', '```'].join('\n');

  it('numbers the TS/JS blocks only, with their first line, language and markers', () => {
    const blocks = extractBlocks('X.md', text);
    expect(blocks.map(({ index, line, language, markers, code }) => ({ index, line, language, markers, code }))).toEqual([
      { index: 1, line: 6, language: 'ts', markers: [], code: 'const a = 1;' },
      { index: 2, line: 9, language: 'ts', markers: ['no-run'], code: 'a;' },
      { index: 3, line: 12, language: 'js', markers: [], code: '```' },
    ]);
  });

  it('rejects a marker it does not know, so a typo cannot skip a block', () => {
    expect(() => extractBlocks('X.md', '```ts norun\nx\n```')).toThrow(/unknown fence marker norun/);
  });
});

it('finds the README blocks', () => {
  expect(blocks.length).toBeGreaterThan(10);
  expect(blocks.some((block) => block.file === 'README.md')).toBe(true);
});

for (const file of [...new Set(blocks.map((block) => block.file))]) {
  describe(file, () => {
    for (const block of blocks.filter((candidate) => candidate.file === file)) {
      const skip = block.markers.includes('no-check');
      it.skipIf(skip)(`${blockName(block)}${block.markers.length ? ` [${block.markers.join(' ')}]` : ''}`, async () => {
        const errors = diagnostics.get(block) ?? [];
        if (errors.length > 0) throw new Error(`${blockName(block)} does not type-check:\n${errors.join('\n')}`);
        if (block.markers.includes('no-run')) return;
        const result = await runBlock(block, RUN_TIMEOUT);
        if (result.error !== null) throw new Error(`${blockName(block)} failed when run: ${result.error}${result.output ? `\noutput:\n${result.output.slice(-2000)}` : ''}`);
      }, RUN_TIMEOUT + 10_000);
    }
  });
}
