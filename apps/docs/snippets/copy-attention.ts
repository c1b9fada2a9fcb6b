// Summarisation copies words from the source: the pointer-generator's output distribution
// mixes "generate from the vocabulary" with "copy the word attention points at" (See et al., 2017).
import { attend } from '@heed/attention';
import { scatterAdd, tensor, zeros } from '@heed/tensor';

const vocabulary = ['<unk>', 'the', 'a', 'storm', 'closed', 'airport', 'flights', 'were', 'cancelled'];
const sourceWords = ['the', 'storm', 'closed', 'the', 'airport'];
const sourceIds = tensor(sourceWords.map((word) => vocabulary.indexOf(word)), { dtype: 'int32' });

// At one decoding step: attention scores over the 5 source words, and the generator's own guess.
const scores = tensor([0.1, 3.0, 0.5, 0.1, 1.5]);
const encoderStates = zeros([5, 4]);
const { weights } = attend(scores.unsqueeze(0), encoderStates); //   [1, 5]: where to copy from
const generate = tensor([0.05, 0.4, 0.3, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025]); // P_vocab
const pGenerate = 0.3; // learned per step in the real model: sigmoid(w·[context, state, input])

// P(w) = p_gen · P_vocab(w) + (1 − p_gen) · Σ_{i: source_i = w} α_i
const copy = scatterAdd(zeros([vocabulary.length]), 0, sourceIds, weights.squeeze(0));
const final = generate.mul(pGenerate).add(copy.mul(1 - pGenerate));
const best = final.argmax().item();
console.log(`copy weights ${(weights.squeeze(0).toArray() as number[]).map((w) => w.toFixed(2)).join(' ')}`);
console.log(`next word: "${vocabulary[best]}" with p = ${final.max().item().toFixed(3)}, total ${final.sum().item().toFixed(3)}`);

// Output:
// copy weights 0.04 0.71 0.06 0.04 0.16
// next word: "storm" with p = 0.510, total 1.000
