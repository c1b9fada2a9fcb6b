// The ready-made encoder–decoder of @heed/rnn: variable lengths, end tokens, greedy decoding.
import { Seq2Seq, padSequences } from '@heed/rnn';
import { Adam, Generator, clipGradNorm, crossEntropy } from '@heed/tensor';

// Token ids: 0 padding, 1 start, 2 end, then the letters.
const letters = 'abcdefgh';
const encode = (text: string, end = false) => [...[...text].map((letter) => 3 + letters.indexOf(letter)), ...(end ? [2] : [])];
const decode = (tokens: number[]) => tokens.map((token) => letters[token - 3] ?? '?').join('');

const generator = new Generator(5);
const randomWord = () => Array.from({ length: 3 + Math.floor(generator.nextFloat() * 4) }, () => letters[Math.floor(generator.nextFloat() * 8)]).join('');

const model = new Seq2Seq({ sourceVocabSize: 11, targetVocabSize: 11, hiddenSize: 32, cell: 'gru', score: 'general', generator });
const optimizer = new Adam(model.parameters(), { lr: 0.01 });
for (let step = 1; step <= 120; step++) {
  const words = Array.from({ length: 32 }, randomWord); // lengths 3 to 6
  const source = padSequences(words.map((word) => encode(word))); //                        [B, S] int32
  const target = padSequences(words.map((word) => encode([...word].reverse().join(''), true))); // [B, T]
  const { logits } = model.forward(source, target);
  const loss = crossEntropy(logits.reshape([-1, 11]), target.reshape([-1]), { ignoreIndex: 0 });
  optimizer.zeroGrad();
  loss.backward();
  clipGradNorm(model.parameters(), 5);
  optimizer.step();
  if (step === 1 || step % 60 === 0) console.log(`step ${step}: loss ${loss.item().toFixed(3)}`);
}

model.eval();
const source = padSequences([encode('badge'), encode('chef')]);
const [first, second] = model.greedyDecode(source);
console.log(`badge → ${decode(first?.tokens ?? [])}, chef → ${decode(second?.tokens ?? [])}`);
console.log(`alignment of "chef": ${second?.alignment.length} output steps × ${second?.alignment[0]?.length} source letters`);

// Output:
// step 1: loss 2.395
// ≈ step 60: loss 0.517
// ≈ step 120: loss 0.170
// badge → egdab, chef → fehc
// alignment of "chef": 4 output steps × 4 source letters
