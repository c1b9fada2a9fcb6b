// Luong et al.'s local attention: local-p predicts where to look, local-m looks at position t.
import { LocalPAttention } from '@heed/attention';
import { Generator, randn } from '@heed/tensor';

const generator = new Generator(5);
const decoderStates = randn([1, 3, 8], { generator }); // [B=1, L=3, D=8] target states h_t
const encoderStates = randn([1, 10, 8], { generator }); // [B=1, S=10, D=8] source states

// local-p: p_t = (S − 1)·sigmoid(v_pᵀ tanh(W_p h_t)), window [p_t − 2, p_t + 2], Gaussian σ = 1.
const localP = new LocalPAttention(8, { window: 2, generator }); // Luong's general score by default
const { output, weights, position } = localP.forward(decoderStates, encoderStates);
console.log('p_t:', Array.from(position.dataSync(), (p) => p.toFixed(2)).join(' '));
for (const row of (weights.toArray() as number[][][])[0]) console.log(`  ${row.map((w) => w.toFixed(2)).join(' ')}`);
console.log('output:', output.shape.join('×'), '| row sums (no renormalisation after the Gaussian):',
  Array.from(weights.sum(-1).dataSync(), (x) => x.toFixed(2)).join(' '));

// local-m: p_t = t, a plain softmax inside [t − 2, t + 2].
const localM = new LocalPAttention(8, { window: 2, mode: 'monotonic', score: 'dot' });
const monotonic = localM.forward(decoderStates, encoderStates).weights;
console.log('local-m row 0:', (monotonic.toArray() as number[][][])[0][0].map((w) => w.toFixed(2)).join(' '));

// Output:
// p_t: 5.47 4.61 4.68
//   0.00 0.00 0.00 0.00 0.20 0.29 0.04 0.02 0.00 0.00
//   0.00 0.00 0.00 0.14 0.01 0.15 0.12 0.00 0.00 0.00
//   0.00 0.00 0.00 0.00 0.00 0.22 0.31 0.00 0.00 0.00
// output: 1×3×8 | row sums (no renormalisation after the Gaussian): 0.54 0.42 0.54
// local-m row 0: 0.01 0.19 0.80 0.00 0.00 0.00 0.00 0.00 0.00 0.00
