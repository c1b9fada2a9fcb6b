// Trains a small decoder-only Transformer language model on any text file, printing the
// training and held-out loss and a sample every few steps, then samples with a key/value cache.
//
//   pnpm example:lm -- [file.txt] [options]        (from the repository root; --help lists them)
//   node --conditions=@heed/source --import tsx packages/attention/examples/lm.ts [file.txt] [options]
//
// Without a file it trains on examples/data/lighthouse.txt, a short story written for heed
// (public domain, CC0).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AdamW, Generator, Vocabulary, clipGradNorm, crossEntropy, loadSafetensors, manualSeed, noGrad, saveSafetensors, tensor, type Tensor } from './example-imports.js';
import { DecoderOnlyLanguageModel } from './language-model.js';

const usage = `Usage: pnpm example:lm -- [file.txt] [options]

Trains a decoder-only Transformer (GPT-style) language model on a text file (default: a short
story in examples/data/lighthouse.txt) and samples from it with a key/value cache.

Model          --layers N (2)   --width E (64)   --heads H (4)   --context T (64)
               --dropout P (0)  --level char|word (char)   --untied (separate output layer)
Training       --steps N (500)  --batch B (16)   --lr X (0.003)   --seed N (1)
Reporting      --every N (100)  steps between reports, each with a sample
Sampling       --length N (200) --temperature X (0.8)   --top-k K (10)   --prompt TEXT
Saving         --save FILE.safetensors  writes the weights, and FILE.json with the config and vocabulary
               --load FILE.safetensors  starts from saved weights (and their vocabulary); --steps 0 only samples
               --help`;

// `pnpm example:lm -- …` hands the script a leading `--`, which parseArgs would read as "no options follow".
const args = process.argv.slice(2);
if (args[0] === '--') args.shift();
const { values, positionals } = parseArgs({
  args,
  allowPositionals: true,
  options: {
    layers: { type: 'string', default: '2' },
    width: { type: 'string', default: '64' },
    heads: { type: 'string', default: '4' },
    context: { type: 'string', default: '64' },
    dropout: { type: 'string', default: '0' },
    level: { type: 'string', default: 'char' },
    untied: { type: 'boolean', default: false },
    steps: { type: 'string', default: '500' },
    batch: { type: 'string', default: '16' },
    lr: { type: 'string', default: '0.003' },
    seed: { type: 'string', default: '1' },
    every: { type: 'string', default: '100' },
    length: { type: 'string', default: '200' },
    temperature: { type: 'string', default: '0.8' },
    'top-k': { type: 'string', default: '10' },
    prompt: { type: 'string' },
    save: { type: 'string' },
    load: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

function fail(message: string): never {
  console.error(`lm: ${message}\n\n${usage}`);
  process.exit(2);
}
function integer(name: keyof typeof values, minimum: number): number {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < minimum) fail(`--${name} must be an integer ≥ ${minimum}, got ${String(values[name])}`);
  return value;
}
function number(name: keyof typeof values, minimum: number): number {
  const value = Number(values[name]);
  if (!Number.isFinite(value) || value < minimum) fail(`--${name} must be a number ≥ ${minimum}, got ${String(values[name])}`);
  return value;
}
if (values.level !== 'char' && values.level !== 'word') fail(`--level must be char or word, got ${values.level}`);
if (positionals.length > 1) fail(`expected at most one text file, got ${positionals.length}`);

// `pnpm example:lm` runs in packages/attention; paths are relative to where it was started.
const here = (path: string): string => resolve(process.env.INIT_CWD ?? process.cwd(), path);
const file = positionals[0] ? here(positionals[0]) : new URL('./data/lighthouse.txt', import.meta.url).pathname;
const savePath = values.save ? here(values.save) : undefined;
const loadPath = values.load ? here(values.load) : undefined;
let text: string;
try {
  text = readFileSync(file, 'utf8');
} catch (error) {
  fail(`cannot read ${file}: ${(error as Error).message}`);
}
const steps = integer('steps', 0);
const batchSize = integer('batch', 1);
const every = integer('every', 1);
const seed = integer('seed', 0);
const sampleLength = integer('length', 0);
const temperature = number('temperature', 0);
const topK = integer('top-k', 1);
manualSeed(seed);
const generator = new Generator(seed);

// The model's shape and vocabulary come from the command line, or from a saved model's JSON.
interface SavedModel {
  config: { layers: number; width: number; heads: number; context: number; level: 'char' | 'word'; untied: boolean };
  vocabulary: ReturnType<Vocabulary['toJSON']>;
}
const jsonPath = (weights: string): string => weights.replace(/\.safetensors$/, '') + '.json';
const saved: SavedModel | null = loadPath ? (JSON.parse(readFileSync(jsonPath(loadPath), 'utf8')) as SavedModel) : null;
const config = saved?.config ?? {
  layers: integer('layers', 1),
  width: integer('width', 1),
  heads: integer('heads', 1),
  context: integer('context', 2),
  level: values.level,
  untied: values.untied,
};
if (config.width % config.heads !== 0) fail(`--heads ${config.heads} must divide --width ${config.width}`);
const vocabulary = saved ? Vocabulary.fromJSON(saved.vocabulary) : Vocabulary.fromText(text, { level: config.level });
const ids = vocabulary.encode(text);
// The last tenth is held out, to show whether the model learns the language or memorises the text.
const split = Math.floor(ids.length * 0.9);
const trainIds = ids.slice(0, split);
const heldOutIds = ids.slice(split);
if (steps > 0 && trainIds.length < config.context + 2) fail(`the text has ${ids.length} tokens, too few for --context ${config.context}`);

const model = new DecoderOnlyLanguageModel({
  vocabSize: vocabulary.size,
  contextLength: config.context,
  dModel: config.width,
  nhead: config.heads,
  numLayers: config.layers,
  dropout: number('dropout', 0),
  tieWeights: !config.untied,
  generator,
});
if (loadPath) model.loadStateDict(loadSafetensors(new Uint8Array(readFileSync(loadPath))));

/** `count` random windows of `context + 1` tokens: inputs [B, T] and next-token targets [B, T]. */
function batchOf(source: readonly number[], count: number, random: Generator): { input: Tensor; target: Tensor } {
  const length = config.context;
  const input = new Int32Array(count * length);
  const target = new Int32Array(count * length);
  for (let row = 0; row < count; row++) {
    const start = random.nextInt(0, source.length - length);
    for (let t = 0; t < length; t++) {
      input[row * length + t] = source[start + t];
      target[row * length + t] = source[start + t + 1];
    }
  }
  return { input: tensor(input, { dtype: 'int32', shape: [count, length] }), target: tensor(target, { dtype: 'int32', shape: [count, length] }) };
}
const lossOf = (input: Tensor, target: Tensor): Tensor => crossEntropy(model.forward(input).reshape([-1, vocabulary.size]), target.reshape([-1]));
/** Mean loss on the same held-out windows at every report (nats per token). */
const heldOut = heldOutIds.length > config.context + 1 ? batchOf(heldOutIds, 16, new Generator(seed + 1)) : null;
function heldOutLoss(): string {
  if (!heldOut) return 'n/a (text too short)';
  model.eval();
  const loss = noGrad(() => lossOf(heldOut.input, heldOut.target).item());
  model.train();
  return loss.toFixed(3);
}
const suppress = vocabulary.specialTokens.map((token) => vocabulary.tokenToId(token));
function sample(length: number, sampleSeed: number): string {
  const promptIds = values.prompt ? vocabulary.encode(values.prompt) : [ids[0]];
  const sampled = model.generate(promptIds, { maxNewTokens: length, temperature, topK, suppress, generator: new Generator(sampleSeed) });
  return vocabulary.decode([...promptIds, ...sampled]);
}

console.log(
  `lm: ${file} (${ids.length} ${config.level === 'char' ? 'characters' : 'words'}, vocabulary ${vocabulary.size}); ` +
    `${config.layers} blocks, width ${config.width}, ${config.heads} heads, context ${config.context}, ${model.numParameters()} parameters` +
    `; uniform guessing would score ${Math.log(vocabulary.size).toFixed(3)}`,
);
const optimizer = new AdamW(model.parameters(), { lr: number('lr', 0), weightDecay: 0.01 });
const started = performance.now();
let smoothed = Number.NaN;
for (let step = 1; step <= steps; step++) {
  const { input, target } = batchOf(trainIds, batchSize, generator);
  const loss = lossOf(input, target);
  optimizer.zeroGrad();
  loss.backward();
  clipGradNorm(model.parameters(), 1);
  optimizer.step();
  smoothed = step === 1 ? loss.item() : 0.9 * smoothed + 0.1 * loss.item();
  if (step % every === 0 || step === steps) {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`\nstep ${String(step).padStart(5)}  loss ${smoothed.toFixed(3)}  held-out ${heldOutLoss()}  ${seconds} s`);
    console.log(`  ${JSON.stringify(sample(Math.min(80, sampleLength), seed + step))}`);
  }
}

if (sampleLength > 0) {
  const sampleStarted = performance.now();
  const text = sample(sampleLength, seed);
  const perToken = (performance.now() - sampleStarted) / sampleLength;
  console.log(`\nsample (temperature ${temperature}, top-k ${topK}, key/value cache, ${perToken.toFixed(1)} ms per token):\n\n${text}`);
}
if (savePath) {
  writeFileSync(savePath, saveSafetensors(model.stateDict(), { format: 'pt', config: JSON.stringify(config) }));
  const document: SavedModel = { config, vocabulary: vocabulary.toJSON() };
  writeFileSync(jsonPath(savePath), JSON.stringify(document));
  console.log(`\nsaved the weights to ${savePath} and the config and vocabulary to ${jsonPath(savePath)}`);
}
