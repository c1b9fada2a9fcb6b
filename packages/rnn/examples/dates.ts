// Trains an RNN encoder–decoder with attention to rewrite dates written in many human formats
// ("Saturday, November 15, 2014", "15-Nov-14", "11/15/2014", …) as ISO dates (2014-11-15), then
// reports exact-match accuracy on held-out dates (never seen in training in any format), the
// training time, and the alignment matrix of one example.
//
//   node --conditions=@heed/source --import tsx packages/rnn/examples/dates.ts [options]
//     --steps=N       training steps (default 500)     --batch=N    batch size (default 64)
//     --cell=gru|lstm|rnn (default gru)                  --hidden=N   hidden size (default 64)
//     --score=general|additive|dot|concat (default general)
//     --style=luong|bahdanau (default luong)          --lr=X       Adam learning rate (default 0.005)
//     --test=N        held-out examples (default 2000)   --beam=K     beam search with K beams (default: greedy)
//     --seed=N        (default 1)                        --out=file.json  save alignments and weights
import { writeFileSync } from 'node:fs';
import { Adam, Generator, clipGradNorm, crossEntropy, manualSeed, saveSafetensors, type ScoreName } from './example-imports.js';
import { Seq2Seq, type AttentionStyle, type RecurrentCellKind, type Seq2SeqHypothesis } from '../src/index.js';
import { characterVocabulary, SOURCE_CHARACTERS, TARGET_CHARACTERS, dateExamples, type DateExample } from './date-data.js';

const option = (name: string, fallback: string): string => process.argv.find((value) => value.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const config = {
  steps: Number(option('steps', '500')),
  batch: Number(option('batch', '64')),
  cell: option('cell', 'gru') as RecurrentCellKind,
  hidden: Number(option('hidden', '64')),
  embedding: Number(option('embedding', '32')),
  score: option('score', 'general') as ScoreName,
  style: option('style', 'luong') as AttentionStyle,
  lr: Number(option('lr', '0.005')),
  test: Number(option('test', '2000')),
  beam: Number(option('beam', '0')),
  seed: Number(option('seed', '1')),
};
const out = option('out', '');

manualSeed(config.seed);
const generator = new Generator(config.seed);
const sourceVocabulary = characterVocabulary(SOURCE_CHARACTERS);
const targetVocabulary = characterVocabulary(TARGET_CHARACTERS);
const model = new Seq2Seq({
  sourceVocabSize: sourceVocabulary.size,
  targetVocabSize: targetVocabulary.size,
  embeddingDim: config.embedding,
  hiddenSize: config.hidden,
  cell: config.cell,
  score: config.score,
  style: config.style,
  padIndex: targetVocabulary.padId,
  bosIndex: targetVocabulary.bosId,
  eosIndex: targetVocabulary.eosId,
  generator,
});
const optimizer = new Adam(model.parameters(), { lr: config.lr });
const batchOf = (examples: readonly DateExample[]) => ({
  source: sourceVocabulary.batch(examples.map((example) => example.source)).ids,
  target: targetVocabulary.batch(examples.map((example) => example.target), { addEos: true }).ids,
});

console.log(`dates: ${config.cell} encoder-decoder, ${config.style} attention with the ${config.score} score, hidden ${config.hidden}, ${model.numParameters()} parameters`);
const started = performance.now();
const cpuStarted = process.cpuUsage();
let smoothed = 0;
for (let step = 1; step <= config.steps; step++) {
  const { source, target } = batchOf(dateExamples(config.batch, generator, 'train'));
  const { logits } = model.forward(source, target);
  const loss = crossEntropy(logits.reshape([-1, targetVocabulary.size]), target.reshape([-1]), { ignoreIndex: targetVocabulary.padId });
  optimizer.zeroGrad();
  loss.backward();
  clipGradNorm(model.parameters(), 5);
  optimizer.step();
  smoothed = step === 1 ? loss.item() : 0.95 * smoothed + 0.05 * loss.item();
  if (step % 100 === 0 || step === config.steps) {
    const cpu = process.cpuUsage(cpuStarted);
    console.log(`step ${String(step).padStart(5)}  loss ${smoothed.toFixed(4)}  ${((performance.now() - started) / 1000).toFixed(1)} s  (cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s)`);
  }
}
const trainingSeconds = (performance.now() - started) / 1000;
const cpuUsed = process.cpuUsage(cpuStarted);
const trainingCpuSeconds = (cpuUsed.user + cpuUsed.system) / 1e6;

model.eval();
const test = dateExamples(config.test, new Generator(config.seed + 1000), 'test');
const evaluationStarted = performance.now();
const predictions: Seq2SeqHypothesis[] = [];
for (let start = 0; start < test.length; start += 250) {
  const { source } = batchOf(test.slice(start, start + 250));
  const found = config.beam > 0 ? model.beamSearch(source, { beamSize: config.beam, maxLength: 12 }).map((list) => list[0]) : model.greedyDecode(source, { maxLength: 12 });
  predictions.push(...found);
}
const evaluationSeconds = (performance.now() - evaluationStarted) / 1000;
const decoded = predictions.map((hypothesis) => targetVocabulary.decode(hypothesis.tokens, { stopAtEos: true, skipSpecials: true }));
const correct = decoded.filter((text, index) => text === test[index].target).length;
const accuracy = correct / test.length;

console.log(`\ntraining: ${config.steps} steps of ${config.batch} in ${trainingSeconds.toFixed(1)} s (${trainingCpuSeconds.toFixed(1)} s of CPU time, all threads)`);
console.log(`held-out exact match (${config.beam > 0 ? `beam ${config.beam}` : 'greedy'}): ${correct}/${test.length} = ${(100 * accuracy).toFixed(2)}% (decoding took ${evaluationSeconds.toFixed(1)} s)`);
const mistakes = test.map((example, index) => ({ ...example, prediction: decoded[index] })).filter((example) => example.prediction !== example.target);
for (const mistake of mistakes.slice(0, 5)) console.log(`  wrong: ${JSON.stringify(mistake.source)} → ${mistake.prediction} (want ${mistake.target})`);

/** The alignment matrix as text: one row per output character, one column per input character. */
function asciiAlignment(source: string, output: string, alignment: number[][]): string {
  const shades = ' .:-=+*#%@';
  const lines = [`      ${[...source].join('')}`];
  alignment.forEach((row, index) => {
    const cells = row.map((weight) => shades[Math.min(shades.length - 1, Math.floor(weight * shades.length))]).join('');
    lines.push(`  ${output[index] ?? '?'}   ${cells}`);
  });
  return lines.join('\n');
}
const shown = test.findIndex((example) => example.source.includes(',') && example.source.length > 20);
const example = test[Math.max(0, shown)];
const hypothesis = predictions[Math.max(0, shown)];
console.log(`\nalignment of ${JSON.stringify(example.source)} → ${decoded[Math.max(0, shown)]} (rows: output, columns: input; darker = more weight)\n`);
console.log(asciiAlignment(example.source, decoded[Math.max(0, shown)], hypothesis.alignment));

if (out) {
  const examples = test.slice(0, 12).map((item, index) => ({ source: item.source, target: item.target, prediction: decoded[index], alignment: predictions[index].alignment }));
  const weights = Buffer.from(saveSafetensors(model.stateDict())).toString('base64');
  const document = {
    task: 'date normalisation: human-written dates → ISO 8601',
    config,
    parameters: model.numParameters(),
    trainingSeconds,
    trainingCpuSeconds,
    accuracy,
    testExamples: test.length,
    sourceVocabulary: sourceVocabulary.toJSON(),
    targetVocabulary: targetVocabulary.toJSON(),
    examples,
    weights: { format: 'safetensors', encoding: 'base64', data: weights },
  };
  writeFileSync(out, JSON.stringify(document));
  console.log(`\nsaved ${examples.length} alignments and the weights to ${out}`);
}
process.exit(0);
