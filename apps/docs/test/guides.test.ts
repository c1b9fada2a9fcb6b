// The guides are complete in both languages: every guide in the reading order exists in English
// and in Chinese, includes the same snippets and demos in both, and every snippet it names exists.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guides } from '../.vitepress/guides.js';

const root = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const snippetsOf = (text: string) => [...text.matchAll(/^<<< @\/snippets\/([\w-]+\.ts)/gm)].map((match) => match[1]);
const demosOf = (text: string) => [...text.matchAll(/<(AttentionHeatmap|AlignmentMatrix|GradientFlow|BackendSwitch|BenchReport|TinyLanguageModel)\b/g)].map((match) => match[1]);

describe('guides', () => {
  it('lists every guide file, in both languages', () => {
    const listed = guides.map((guide) => `${guide.slug}.md`).sort();
    expect(readdirSync(join(root, 'guide')).filter((name) => name.endsWith('.md')).sort()).toEqual(listed);
    expect(readdirSync(join(root, 'zh/guide')).filter((name) => name.endsWith('.md')).sort()).toEqual(listed);
  });

  for (const { slug } of guides) {
    it(`${slug}: the Chinese page has the same snippets and demos as the English one`, () => {
      const english = read(`guide/${slug}.md`);
      const chinese = read(`zh/guide/${slug}.md`);
      expect(snippetsOf(chinese)).toEqual(snippetsOf(english));
      expect(demosOf(chinese)).toEqual(demosOf(english));
      for (const snippet of snippetsOf(english)) expect(existsSync(join(root, 'snippets', snippet ?? '')), snippet).toBe(true);
      expect(/[\u4e00-\u9fff]/.test(chinese), 'the Chinese page is written in Chinese').toBe(true);
    });
  }
});
