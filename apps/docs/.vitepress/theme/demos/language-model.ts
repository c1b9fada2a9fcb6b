/**
 * The computation behind the language-model demo: a tiny character-level decoder-only
 * Transformer (`snippets/language-model.ts`) trained in the page on a short text, sampled one
 * character at a time through its key/value caches, and a check that the cached logits equal a
 * full re-computation.
 */
import { AdamW, Generator, Vocabulary, clipGradNorm, crossEntropy, noGrad, tensor, type Tensor } from '@heed/tensor';
import { TinyGPT } from '../../../snippets/language-model';

/** The text the demo starts with (written for heed; edit it in the page). */
export const defaultText = `The rain falls on the roof, the roof keeps the room, the room keeps the fire, and the fire keeps the cat.
The wind blows on the door, the door keeps the hall, the hall keeps the lamp, and the lamp keeps the cat.
The snow falls on the hill, the hill keeps the road, the road keeps the cart, and the cart keeps the cat.
The sun shines on the field, the field keeps the wheat, the wheat keeps the bread, and the bread keeps the cat.
`;

export interface LanguageModelTrainOptions {
  readonly text: string;
  readonly steps: number;
  readonly contextLength?: number;
  readonly dModel?: number;
  readonly nhead?: number;
  readonly numLayers?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly seed?: number;
  /** Called every few steps with the step and the (smoothed) loss; may await to let the page paint. */
  readonly onProgress?: (step: number, loss: number) => void | Promise<void>;
}

export interface TrainedLanguageModel {
  readonly model: TinyGPT;
  readonly vocabulary: Vocabulary;
  /** [step, loss] every few steps. */
  readonly losses: readonly (readonly [number, number])[];
  readonly parameters: number;
  readonly milliseconds: number;
}

function windows(ids: readonly number[], count: number, length: number, generator: Generator): { input: Tensor; target: Tensor } {
  const input = new Int32Array(count * length);
  const target = new Int32Array(count * length);
  for (let row = 0; row < count; row++) {
    const start = generator.nextInt(0, ids.length - length);
    for (let t = 0; t < length; t++) {
      input[row * length + t] = ids[start + t];
      target[row * length + t] = ids[start + t + 1];
    }
  }
  return { input: tensor(input, { dtype: 'int32', shape: [count, length] }), target: tensor(target, { dtype: 'int32', shape: [count, length] }) };
}

/** Trains a tiny character-level model on `text` (at least `contextLength + 2` characters). */
export async function trainLanguageModel(options: LanguageModelTrainOptions): Promise<TrainedLanguageModel> {
  const started = performance.now();
  const { text, steps, contextLength = 32, dModel = 32, nhead = 4, numLayers = 2, batchSize = 16, learningRate = 0.01, seed = 0 } = options;
  const vocabulary = Vocabulary.fromText(text);
  const ids = vocabulary.encode(text);
  if (ids.length < contextLength + 2) throw new Error(`the text needs at least ${contextLength + 2} characters, it has ${ids.length}`);
  const generator = new Generator(seed);
  const model = new TinyGPT({ vocabSize: vocabulary.size, contextLength, dModel, nhead, numLayers, generator });
  const optimizer = new AdamW(model.parameters(), { lr: learningRate, weightDecay: 0.01 });
  const losses: [number, number][] = [];
  let smoothed = Number.NaN;
  for (let step = 1; step <= steps; step++) {
    const { input, target } = windows(ids, batchSize, contextLength, generator);
    const loss = crossEntropy(model.forward(input).reshape([-1, vocabulary.size]), target.reshape([-1]));
    optimizer.zeroGrad();
    loss.backward();
    clipGradNorm(model.parameters(), 1);
    optimizer.step();
    const value = loss.item();
    smoothed = step === 1 ? value : 0.8 * smoothed + 0.2 * value;
    if (step % 5 === 0 || step === 1 || step === steps) {
      losses.push([step, smoothed]);
      if (options.onProgress) await options.onProgress(step, smoothed);
    }
  }
  model.eval();
  return { model, vocabulary, losses, parameters: model.numParameters(), milliseconds: performance.now() - started };
}

export interface SampleOptions {
  readonly prompt: string;
  readonly length: number;
  readonly temperature?: number;
  readonly topK?: number;
  readonly seed?: number;
}

/**
 * Samples `length` characters after `prompt`, one at a time through the key/value caches:
 * each step runs the model on one new character only. Unknown prompt characters are dropped.
 */
export function sampleText(trained: TrainedLanguageModel, options: SampleOptions): { text: string; millisecondsPerToken: number } {
  const { model, vocabulary } = trained;
  const { temperature = 0.8, topK = 8, seed = 0 } = options;
  const context = model.options.contextLength;
  const started = performance.now();
  const generator = new Generator(seed);
  const known = vocabulary.encode(options.prompt).filter((id) => !vocabulary.isSpecial(id));
  const prompt = (known.length > 0 ? known : [vocabulary.size - 1]).slice(-Math.floor(context / 2));
  const sampled: number[] = [];
  noGrad(() => {
    let caches = model.createCaches();
    let pending = prompt;
    const sequence = [...prompt];
    while (sampled.length < options.length) {
      if (caches[0].length + pending.length > context) {
        caches = model.createCaches(); // the positions are learned up to the context length: restart from the last half
        pending = sequence.slice(-Math.floor(context / 2));
      }
      const logits = model.forward(tensor(Int32Array.from(pending), { dtype: 'int32', shape: [1, pending.length] }), caches).dataSync() as Float32Array;
      const last = logits.subarray((pending.length - 1) * vocabulary.size);
      // top-k among the ordinary characters, softmax with temperature
      const candidates = [...last.keys()].filter((id) => !vocabulary.isSpecial(id)).sort((a, b) => last[b] - last[a]).slice(0, topK);
      const weights = candidates.map((id) => Math.exp((last[id] - last[candidates[0]]) / Math.max(temperature, 1e-6)));
      let draw = generator.nextFloat() * weights.reduce((sum, weight) => sum + weight, 0);
      const next = candidates.find((_, index) => (draw -= weights[index]) < 0) ?? candidates[0];
      sampled.push(next);
      sequence.push(next);
      pending = [next];
    }
  });
  return { text: vocabulary.decode([...prompt, ...sampled]), millisecondsPerToken: (performance.now() - started) / Math.max(1, options.length) };
}

/**
 * The largest |difference| between the logits of feeding `text` one character at a time through
 * the caches and those of one full causal pass (should be ~1e-7: the cache changes the cost, not the result).
 */
export function cacheDifference(trained: TrainedLanguageModel, text: string): number {
  const { model, vocabulary } = trained;
  const ids = vocabulary.encode(text).slice(0, model.options.contextLength);
  return noGrad(() => {
    const full = model.forward(tensor(Int32Array.from(ids), { dtype: 'int32', shape: [1, ids.length] })).dataSync();
    const caches = model.createCaches();
    let largest = 0;
    ids.forEach((id, t) => {
      const step = model.forward(tensor([[id]], { dtype: 'int32' }), caches).dataSync();
      for (let v = 0; v < step.length; v++) largest = Math.max(largest, Math.abs(step[v] - full[t * vocabulary.size + v]));
    });
    return largest;
  });
}
