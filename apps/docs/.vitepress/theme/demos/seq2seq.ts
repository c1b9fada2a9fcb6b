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

/**
 * Reads an alignment JSON: `{ source: string[], target: string[], weights: number[][] }` (rows =
 * target tokens), or `{ alignments: [...] }` / an array of them (the first is used). Throws with
 * a readable message when the file has another shape.
 */
export function parseAlignment(json: unknown): Alignment {
  const first = Array.isArray(json) ? json[0] : typeof json === 'object' && json !== null && 'alignments' in json && Array.isArray(json.alignments) ? json.alignments[0] : json;
  const candidate = first as Partial<Alignment> | undefined;
  const strings = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');
  if (!candidate || !strings(candidate.source) || !strings(candidate.target) || !Array.isArray(candidate.weights)) {
    throw new Error('expected { source: string[], target: string[], weights: number[][] }');
  }
  const { source, target, weights } = candidate;
  if (weights.length !== target.length || weights.some((row) => !Array.isArray(row) || row.length !== source.length || row.some((value) => typeof value !== 'number' || !Number.isFinite(value)))) {
    throw new Error(`weights must be ${target.length} rows (target tokens) of ${source.length} finite numbers (source tokens)`);
  }
  return { source, target, weights };
}
