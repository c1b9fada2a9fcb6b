import { indexSelect, noGrad, tensor, type Tensor } from '@heed/tensor';
import type { AttentionDecoder, DecoderState, EncodedSource } from './attention-decoder.js';

/** One decoded sequence. */
export interface Seq2SeqHypothesis {
  /** The generated tokens, without the start and end tokens. */
  tokens: number[];
  /** Attention weights for each generated token over the real source positions: [tokens.length][S_b]. */
  alignment: number[][];
  /** Sum of the log-probabilities of the tokens (and of the end token, when it was produced). */
  logProbability: number;
  /** The ranking score: `logProbability / length^lengthPenalty` (length counts the end token). */
  score: number;
  /** Whether the end token was produced before `maxLength`. */
  finished: boolean;
}

/** Options shared by greedy and beam-search decoding. */
export interface SearchOptions {
  /** The most tokens to generate per sequence, end token included (default 2·S + 10). */
  maxLength?: number;
  /** Normalises scores by `length^lengthPenalty` (default 1: mean log-probability per token; 0: the raw sum). */
  lengthPenalty?: number;
}

/** What the searches need to know about the vocabulary. */
export interface SearchTokens {
  bosIndex: number;
  eosIndex: number;
}

function rowsOf(data: Float32Array, row: number, width: number, length: number): number[] {
  return Array.from(data.subarray(row * width, row * width + length));
}

/** Selects rows `index` of every state tensor (batch is axis 1 of h and c, axis 0 of feed). */
function reorderState(state: DecoderState, index: Tensor): DecoderState {
  return {
    h: indexSelect(state.h, 1, index),
    c: state.c ? indexSelect(state.c, 1, index) : null,
    feed: state.feed ? indexSelect(state.feed, 0, index) : null,
  };
}

function reorderEncoded(encoded: EncodedSource, rows: number[]): EncodedSource {
  const index = tensor(rows, { dtype: 'int32' });
  return {
    memory: indexSelect(encoded.memory, 0, index),
    mask: indexSelect(encoded.mask, 0, index),
    lengths: Int32Array.from(rows, (row) => encoded.lengths[row]),
  };
}

/**
 * Greedy decoding: at every step, the most likely token. Returns one hypothesis per sequence.
 */
export function greedySearch(decoder: AttentionDecoder, encoded: EncodedSource, initial: DecoderState, tokens: SearchTokens, options: SearchOptions = {}): Seq2SeqHypothesis[] {
  return noGrad(() => {
    const [batch, sourceLength] = encoded.memory.shape;
    const maxLength = options.maxLength ?? 2 * sourceLength + 10;
    const penalty = options.lengthPenalty ?? 1;
    const hypotheses: Seq2SeqHypothesis[] = Array.from({ length: batch }, () => ({ tokens: [], alignment: [], logProbability: 0, score: 0, finished: false }));
    let state = initial;
    let input = tensor(new Array<number>(batch).fill(tokens.bosIndex), { dtype: 'int32' });
    for (let step = 0; step < maxLength && hypotheses.some((hypothesis) => !hypothesis.finished); step++) {
      const result = decoder.step(input, state, encoded);
      state = result.state;
      const logProbabilities = result.logits.logSoftmax(-1).dataSync() as Float32Array;
      const weights = result.weights.dataSync() as Float32Array;
      const vocabulary = result.logits.shape[1];
      const next = new Array<number>(batch);
      hypotheses.forEach((hypothesis, b) => {
        let best = 0;
        for (let v = 1; v < vocabulary; v++) if (logProbabilities[b * vocabulary + v] > logProbabilities[b * vocabulary + best]) best = v;
        next[b] = best;
        if (hypothesis.finished) return;
        hypothesis.logProbability += logProbabilities[b * vocabulary + best];
        if (best === tokens.eosIndex) hypothesis.finished = true;
        else {
          hypothesis.tokens.push(best);
          hypothesis.alignment.push(rowsOf(weights, b, sourceLength, encoded.lengths[b]));
        }
      });
      input = tensor(next, { dtype: 'int32' });
    }
    for (const hypothesis of hypotheses) hypothesis.score = hypothesis.logProbability / Math.pow(hypothesis.tokens.length + (hypothesis.finished ? 1 : 0) || 1, penalty);
    return hypotheses;
  });
}

/** Options of {@link beamSearch}. */
export interface BeamSearchOptions extends SearchOptions {
  /** Hypotheses kept per sequence (default 4). */
  beamSize?: number;
}

interface Beam {
  tokens: number[];
  alignment: number[][];
  logProbability: number;
}

/**
 * Beam search: keeps the `beamSize` most likely partial outputs per sequence, all sequences and
 * beams in one batch. A hypothesis ends at the end token; a sequence is done when it has
 * `beamSize` ended hypotheses or reaches `maxLength`. Returns each sequence's hypotheses, best
 * first (ranked by {@link Seq2SeqHypothesis.score}).
 */
export function beamSearch(decoder: AttentionDecoder, encoded: EncodedSource, initial: DecoderState, tokens: SearchTokens, options: BeamSearchOptions = {}): Seq2SeqHypothesis[][] {
  return noGrad(() => {
    const [batch, sourceLength] = encoded.memory.shape;
    const width = options.beamSize ?? 4;
    const maxLength = options.maxLength ?? 2 * sourceLength + 10;
    const penalty = options.lengthPenalty ?? 1;
    const normalise = (logProbability: number, length: number): number => logProbability / Math.pow(Math.max(1, length), penalty);
    // Slot b·width + k holds beam k of sequence b; at the start only beam 0 is alive.
    const slots = Array.from({ length: batch * width }, (_, slot) => Math.floor(slot / width));
    const expanded = reorderEncoded(encoded, slots);
    let state = reorderState(initial, tensor(slots, { dtype: 'int32' }));
    let beams: (Beam | null)[] = slots.map((_, slot) => (slot % width === 0 ? { tokens: [], alignment: [], logProbability: 0 } : null));
    const finished: Seq2SeqHypothesis[][] = Array.from({ length: batch }, () => []);
    const done = new Array<boolean>(batch).fill(false);
    let input = tensor(new Array<number>(batch * width).fill(tokens.bosIndex), { dtype: 'int32' });
    for (let step = 0; step < maxLength && done.some((value) => !value); step++) {
      const result = decoder.step(input, state, expanded);
      const logProbabilities = result.logits.logSoftmax(-1).dataSync() as Float32Array;
      const weights = result.weights.dataSync() as Float32Array;
      const vocabulary = result.logits.shape[1];
      const parents = new Array<number>(batch * width);
      const nextTokens = new Array<number>(batch * width).fill(tokens.eosIndex);
      const nextBeams: (Beam | null)[] = new Array<Beam | null>(batch * width).fill(null);
      for (let b = 0; b < batch; b++) {
        for (let k = 0; k < width; k++) parents[b * width + k] = b * width;
        if (done[b]) continue;
        const candidates: { slot: number; token: number; logProbability: number }[] = [];
        for (let k = 0; k < width; k++) {
          const slot = b * width + k;
          const beam = beams[slot];
          if (!beam) continue;
          for (let v = 0; v < vocabulary; v++) candidates.push({ slot, token: v, logProbability: beam.logProbability + logProbabilities[slot * vocabulary + v] });
        }
        candidates.sort((x, y) => y.logProbability - x.logProbability);
        let kept = 0;
        for (const candidate of candidates) {
          if (kept === width) break;
          const parent = beams[candidate.slot]!;
          const row = rowsOf(weights, candidate.slot, sourceLength, expanded.lengths[candidate.slot]);
          if (candidate.token === tokens.eosIndex) {
            const length = parent.tokens.length + 1;
            finished[b].push({ tokens: parent.tokens, alignment: parent.alignment, logProbability: candidate.logProbability, score: normalise(candidate.logProbability, length), finished: true });
            continue;
          }
          const slot = b * width + kept;
          parents[slot] = candidate.slot;
          nextTokens[slot] = candidate.token;
          nextBeams[slot] = { tokens: [...parent.tokens, candidate.token], alignment: [...parent.alignment, row], logProbability: candidate.logProbability };
          kept++;
        }
        // Done when no beam is left open, or when `beamSize` hypotheses have ended and no open beam
        // scores better than the worst of them (so a likely long hypothesis is not cut off by
        // unlikely short ones that happened to end first).
        const ended = finished[b].map((hypothesis) => hypothesis.score).sort((x, y) => y - x);
        let bestOpen = -Infinity;
        for (let k = 0; k < kept; k++) {
          const beam = nextBeams[b * width + k]!;
          bestOpen = Math.max(bestOpen, normalise(beam.logProbability, beam.tokens.length));
        }
        if (kept === 0 || (ended.length >= width && bestOpen <= ended[width - 1])) done[b] = true;
      }
      beams = nextBeams;
      state = reorderState(result.state, tensor(parents, { dtype: 'int32' }));
      input = tensor(nextTokens, { dtype: 'int32' });
    }
    for (let b = 0; b < batch; b++) {
      if (!done[b]) {
        // Cut off by maxLength: open beams compete with the ended ones.
        for (let k = 0; k < width; k++) {
          const beam = beams[b * width + k];
          if (beam) finished[b].push({ ...beam, score: normalise(beam.logProbability, beam.tokens.length), finished: false });
        }
      }
      finished[b].sort((x, y) => y.score - x.score);
      finished[b].splice(width);
    }
    return finished;
  });
}
