// The language-model demo's computation: it learns its default text, samples through the cache,
// and the cached logits equal a full re-computation.
import { describe, expect, it } from 'vitest';
import { cacheDifference, defaultText, sampleText, trainLanguageModel } from '../.vitepress/theme/demos/language-model.js';

describe('language-model demo', () => {
  it('trains on the default text until the loss is well below its start, and samples from it with the cache', async () => {
    const progress: number[] = [];
    const trained = await trainLanguageModel({ text: defaultText, steps: 60, onProgress: (step) => void progress.push(step) });
    expect(progress.at(-1)).toBe(60);
    const first = trained.losses[0][1];
    const last = trained.losses.at(-1)![1];
    expect(first).toBeGreaterThan(0.8 * Math.log(trained.vocabulary.size));
    expect(last).toBeLessThan(0.6 * first);
    const { text } = sampleText(trained, { prompt: 'The ', length: 80, seed: 1 });
    expect(text.startsWith('The ')).toBe(true);
    expect([...text].length).toBe(84);
    expect([...text].every((character) => trained.vocabulary.has(character))).toBe(true);
    expect(sampleText(trained, { prompt: 'The ', length: 80, seed: 1 }).text).toBe(text);
    expect(cacheDifference(trained, defaultText)).toBeLessThan(1e-5);
  });

  it('refuses a text shorter than the context', async () => {
    await expect(trainLanguageModel({ text: 'too short', steps: 1 })).rejects.toThrow(/at least/);
  });
});
