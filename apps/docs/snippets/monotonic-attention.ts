// Monotonic attention (Raffel et al. 2017): expected alignments for training, hard ones for inference.
import { MonotonicAttention, monotonicAlignment } from '@heed/attention';
import { GeneralScore, cosineScore } from '@heed/scoring';
import { Generator, indexSelect, randn, tensor, type Tensor } from '@heed/tensor';

const generator = new Generator(5);
const encoderStates = randn([1, 6, 8], { generator }); // [B=1, S=6, D=8] the memory
// Four decoder states that resemble memory entries 0, 2, 3 and 5 (a monotonic alignment), plus noise.
const decoderStates = indexSelect(encoderStates, 1, tensor([0, 2, 3, 5], { dtype: 'int32' })).add(randn([1, 4, 8], { generator }).mul(0.3));
const rows = (t: Tensor) => (t.toArray() as number[][][])[0].map((row) => row.map((x) => x.toFixed(2)).join(' '));

// Energies from any score of @heed/scoring: here 8·cosine − 4, positive only for similar states.
const energy = cosineScore(decoderStates, encoderStates).mul(8).sub(4); // [1, 4, 6]

const expected = monotonicAlignment(energy); // differentiable; each row sums to at most 1
console.log('expected alignment:');
for (const row of rows(expected)) console.log(`  ${row}`);

const hard = monotonicAlignment(energy, { mode: 'hard' }); // the greedy stop rule: one-hot rows
console.log('hard alignment:');
for (const row of rows(hard)) console.log(`  ${row}`);

// As a module: a learned bias r, unit-variance noise before the sigmoid while training, hard in eval.
const attention = new MonotonicAttention({ score: new GeneralScore(8, 8, { generator }), scoreBias: -1, generator });
const trained = attention.forward(decoderStates, encoderStates);
console.log(`training: output ${trained.output.shape.join('×')}, row sums ${Array.from(trained.weights.sum(-1).dataSync(), (x) => x.toFixed(2)).join(' ')}`);
attention.eval();
console.log(`evaluation: rows sum to ${Array.from(attention.forward(decoderStates, encoderStates).weights.sum(-1).dataSync()).join(' ')} (one-hot, or 0 once it ran off the end)`);

// Output:
// expected alignment:
//   0.98 0.00 0.00 0.00 0.00 0.00
//   0.01 0.16 0.80 0.00 0.00 0.01
//   0.00 0.00 0.00 0.94 0.00 0.00
//   0.00 0.00 0.00 0.00 0.08 0.85
// hard alignment:
//   1.00 0.00 0.00 0.00 0.00 0.00
//   0.00 0.00 1.00 0.00 0.00 0.00
//   0.00 0.00 0.00 1.00 0.00 0.00
//   0.00 0.00 0.00 0.00 0.00 1.00
// training: output 1×4×8, row sums 1.00 0.98 0.82 0.51
// evaluation: rows sum to 1 1 1 0 (one-hot, or 0 once it ran off the end)
