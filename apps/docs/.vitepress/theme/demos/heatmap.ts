/**
 * The computation behind the attention heatmap demo: self-attention over the words of a
 * sentence with a chosen score function, weighting, mask and number of heads, returning every
 * head's weights `[H][L][S]` as plain arrays. The Vue component only draws what this returns,
 * and the docs' unit tests check it (rows sum to one, masks are honoured).
 */
import { attention, causalMask, paddingMask } from '@heed/attention';
import { createScore, type ScoreName } from '@heed/scoring';
import { Generator, eye, noGrad, randn, stack, tensor, type Tensor } from '@heed/tensor';

export const heatmapScores = ['dot', 'scaledDot', 'cosine', 'general', 'additive'] as const satisfies readonly ScoreName[];
export type HeatmapScore = (typeof heatmapScores)[number];
export const heatmapWeightings = ['soft', 'sparsemax', 'hard', 'sample'] as const;
export type HeatmapWeighting = (typeof heatmapWeightings)[number];
export const heatmapMasks = ['none', 'causal', 'padding', 'window'] as const;
export type HeatmapMask = (typeof heatmapMasks)[number];

export interface HeatmapOptions {
  /** The sentence, one token per query and key position (`L = S`). */
  readonly tokens: readonly string[];
  readonly score: HeatmapScore;
  readonly weighting: HeatmapWeighting;
  readonly mask: HeatmapMask;
  /** Number of heads `H`; the model width is split evenly between them. */
  readonly heads: number;
  /** Model width `E` (default 16). */
  readonly modelDim?: number;
  /** Softmax temperature (default 1): scores are divided by it before weighting. */
  readonly temperature?: number;
  /** Seed of the projections (default 0). */
  readonly seed?: number;
}

export interface HeatmapResult {
  /** Attention weights per head, `[H][L][S]`. */
  readonly weights: number[][][];
  /** Raw scores per head, `[H][L][S]` (masked positions are `-Infinity`). */
  readonly scores: number[][][];
  /** The mask actually applied, `[L][S]`, true = may attend. */
  readonly allowed: boolean[][];
  /** Milliseconds the computation took in this page. */
  readonly milliseconds: number;
}

/** A word's embedding: a seeded normal vector, so a repeated word gets the same vector. */
function embed(word: string, dim: number): Tensor {
  let seed = 2166136261;
  for (const char of word.toLowerCase()) seed = Math.imul(seed ^ char.charCodeAt(0), 16777619) >>> 0;
  return randn([dim], { generator: new Generator(seed) });
}

/** The sinusoidal position code of "Attention is all you need", `[L, E]`. */
function positionCode(length: number, dim: number): Tensor {
  const rows = Array.from({ length }, (_, position) =>
    Array.from({ length: dim }, (_, i) => {
      const angle = position / 10000 ** ((2 * Math.floor(i / 2)) / dim);
      return i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }),
  );
  return tensor(rows);
}

/** `true` where a query may attend to a key, `[L, S]`. */
function maskFor(kind: HeatmapMask, length: number): Tensor | null {
  switch (kind) {
    case 'none':
      return null;
    case 'causal':
      return causalMask(length);
    case 'padding':
      // The last two tokens are padding that no query may attend to.
      return paddingMask([Math.max(1, length - 2)], length).reshape([1, length]);
    case 'window': {
      const rows = Array.from({ length }, (_, query) => Array.from({ length }, (_, key) => Math.abs(query - key) <= 1));
      return tensor(rows, { dtype: 'bool' });
    }
  }
}

/** Runs the demo's self-attention and returns every head's weights. */
export function computeHeatmap(options: HeatmapOptions): HeatmapResult {
  const started = performance.now();
  const length = options.tokens.length;
  const modelDim = options.modelDim ?? 16;
  const heads = options.heads;
  if (length === 0) throw new Error('Type at least one word.');
  if (!Number.isInteger(heads) || heads < 1 || modelDim % heads !== 0) throw new Error(`${heads} heads do not divide the width ${modelDim}.`);
  const headDim = modelDim / heads;
  const generator = new Generator(options.seed ?? 0);
  return noGrad(() => {
    // Word vectors plus a small sinusoidal position code, so the two "the"s are alike but not equal.
    const embeddings = stack(options.tokens.map((word) => embed(word, modelDim))).add(positionCode(length, modelDim).mul(0.5));
    // Query and key projections near the identity: a word matches itself and similar words best,
    // and each head (a slice of the width) sees different features.
    const near = (): Tensor => eye(modelDim).add(randn([modelDim, modelDim], { generator }).mul(0.4 / Math.sqrt(modelDim)));
    const [queryWeight, keyWeight] = [near(), near()];
    // [L, E] → [L, H, Dh] → [H, L, Dh]
    const split = (x: Tensor): Tensor => x.reshape([length, heads, headDim]).transpose(0, 1);
    const query = split(embeddings.matmul(queryWeight));
    const key = split(embeddings.matmul(keyWeight));
    const module = createScore(options.score, { queryDim: headDim, keyDim: headDim, generator });
    const temperature = options.temperature ?? 1;
    const score = (q: Tensor, k: Tensor): Tensor => module.forward(q, k).div(temperature); // [H, L, S]
    const mask = maskFor(options.mask, length);
    // The values are the word vectors themselves; the demo shows the weights, the output is the context.
    const value = embeddings.reshape([length, heads, headDim]).transpose(0, 1);
    const { weights } = attention(query, key, value, { score, weighting: options.weighting, mask, training: options.weighting === 'sample', generator });
    const scores = mask ? score(query, key).maskedFill(mask.logicalNot(), Number.NEGATIVE_INFINITY) : score(query, key);
    const allowed = mask ? (mask.expand([length, length]).toArray() as number[][]).map((row) => row.map(Boolean)) : options.tokens.map(() => options.tokens.map(() => true));
    return {
      weights: weights.toArray() as number[][][],
      scores: scores.toArray() as number[][][],
      allowed,
      milliseconds: performance.now() - started,
    };
  });
}
