/**
 * The computation behind the alignment demo: a tiny encoder–decoder with Luong (general)
 * attention, built from `@heed/rnn`'s GRU and `@heed/attention`, trained in the page to reverse
 * a string of letters. Reversal is the textbook task for alignments: the weights should form the
 * anti-diagonal. Also reads alignment JSON files written by other programs.
 */
import { Adam, Generator, crossEntropy, noGrad, randint, tensor, type Tensor } from '@heed/tensor';
import { Seq2Seq } from '../../../snippets/seq2seq-model';

/** An alignment: target tokens (rows) × source tokens (columns), each row a weight distribution. */
export interface Alignment {
  readonly source: readonly string[];
  readonly target: readonly string[];
  readonly weights: number[][];
}

const letters = 'abcdefgh';

export interface TrainOptions {
  readonly steps: number;
  readonly length?: number;
  readonly batchSize?: number;
  readonly hiddenSize?: number;
  readonly seed?: number;
  /** Called every few steps with the step, the loss and the batch accuracy; may await to let the page paint. */
  readonly onProgress?: (step: number, loss: number, accuracy: number) => void | Promise<void>;
}

export interface TrainResult {
  readonly alignment: Alignment;
  readonly loss: number;
  /** Accuracy per letter on 256 fresh strings, decoded greedily. */
  readonly accuracy: number;
  readonly milliseconds: number;
}

function batchOf(count: number, length: number, generator: Generator): { source: Tensor; target: Tensor } {
  const source = randint(0, letters.length, [count, length], { generator });
  const reversed = (source.toArray() as number[][]).map((row) => [...row].reverse());
  return { source, target: tensor(reversed, { dtype: 'int32' }) };
}

function accuracyOf(logits: Tensor, target: Tensor): number {
  return logits.argmax(-1).eq(target).float().mean().item();
}

/** Trains the tiny model to reverse strings and returns the alignment of one example. */
export async function trainReversal(options: TrainOptions): Promise<TrainResult> {
  const started = performance.now();
  const length = options.length ?? 5;
  const batchSize = options.batchSize ?? 24;
  const generator = new Generator(options.seed ?? 0);
  const model = new Seq2Seq({ vocabulary: letters.length, hiddenSize: options.hiddenSize ?? 24, generator });
  const optimizer = new Adam(model.parameters(), { lr: 0.03 });
  let loss = Number.NaN;
  for (let step = 1; step <= options.steps; step++) {
    const { source, target } = batchOf(batchSize, length, generator);
    const { logits } = model.forward(source, length, target);
    const value = crossEntropy(logits.reshape([batchSize * length, letters.length]), target.reshape([batchSize * length]));
    optimizer.zeroGrad();
    value.backward();
    optimizer.step();
    loss = value.item();
    if (options.onProgress && (step % 10 === 0 || step === options.steps)) await options.onProgress(step, loss, accuracyOf(logits.detach(), target));
  }
  model.eval();
  return noGrad(() => {
    const test = batchOf(256, length, generator);
    const accuracy = accuracyOf(model.forward(test.source, length).logits, test.target);
    const example = batchOf(1, length, new Generator(12345));
    const { weights } = model.forward(example.source, length);
    const word = (row: number[]) => row.map((index) => letters[index] ?? '?');
    return {
      alignment: {
        source: word((example.source.toArray() as number[][])[0] ?? []),
        target: word((example.target.toArray() as number[][])[0] ?? []),
        weights: (weights.toArray() as number[][][])[0] ?? [],
      },
      loss,
      accuracy,
      milliseconds: performance.now() - started,
    };
  });
}

/** Row or column labels for `count` positions: the tokens, then `</s>` for the end-of-sequence steps. */
function labels(tokens: readonly string[], count: number, what: string): string[] {
  if (count < tokens.length) throw new Error(`${count} ${what} weights for ${tokens.length} tokens`);
  return Array.from({ length: count }, (_, index) => tokens[index] ?? '</s>');
}

function checkWeights(weights: unknown, rows: number | null): number[][] {
  if (!Array.isArray(weights) || weights.length === 0) throw new Error('the alignment has no weights');
  const columns = Array.isArray(weights[0]) ? weights[0].length : -1;
  for (const row of weights as unknown[]) {
    if (!Array.isArray(row) || row.length !== columns || row.some((value) => typeof value !== 'number' || !Number.isFinite(value))) {
      throw new Error('the weights must be rows of finite numbers, all of the same length');
    }
  }
  if (rows !== null && weights.length !== rows) throw new Error(`expected ${rows} rows of weights, got ${weights.length}`);
  return weights as number[][];
}

/**
 * Reads alignment JSON files. Two shapes are understood:
 * - `{ source: string[], target: string[], weights: number[][] }` (rows = target tokens), alone,
 *   in an array, or under `alignments`;
 * - the file `packages/rnn/examples/dates.ts --out=FILE` writes: `{ examples: [{ source, target,
 *   prediction, alignment }] }` with strings of characters (rows = the predicted characters, plus
 *   end-of-sequence steps).
 * Returns every alignment in the file; throws with a readable message on any other shape.
 */
export function parseAlignments(json: unknown): Alignment[] {
  const record = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const list: unknown[] = Array.isArray(json) ? json : Array.isArray(record.examples) ? record.examples : Array.isArray(record.alignments) ? record.alignments : [json];
  if (list.length === 0) throw new Error('the file holds no alignments');
  return list.map((item, index) => {
    const entry = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    try {
      if (typeof entry.source === 'string' && Array.isArray(entry.alignment)) {
        const weights = checkWeights(entry.alignment, null);
        const output = typeof entry.prediction === 'string' ? entry.prediction : typeof entry.target === 'string' ? entry.target : '';
        return { source: labels([...entry.source], weights[0]?.length ?? 0, 'source'), target: labels([...output], weights.length, 'target'), weights };
      }
      const strings = (value: unknown): value is string[] => Array.isArray(value) && value.every((token) => typeof token === 'string');
      if (!strings(entry.source) || !strings(entry.target)) throw new Error('expected { source: string[], target: string[], weights: number[][] } or the rnn dates example\'s file');
      const weights = checkWeights(entry.weights, entry.target.length);
      if ((weights[0]?.length ?? 0) !== entry.source.length) throw new Error(`each row needs ${entry.source.length} weights (one per source token)`);
      return { source: entry.source, target: entry.target, weights };
    } catch (error) {
      throw new Error(`alignment ${index + 1}: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}
