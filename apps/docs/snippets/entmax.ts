// Softmax, entmax-1.5 and sparsemax on the same scores: dense, sparse-but-smooth, sparsest.
import { attend, entmax15Weights } from '@heed/attention';
import { tensor, type Tensor } from '@heed/tensor';

const scores = tensor([[2.0, 1.6, 0.9, 0.2, -1.0]]); // [L=1, S=5]
const value = tensor([[1, 0], [0, 1], [1, 1], [0, 0], [2, 2]]); // [S=5, Dv=2]
const show = (t: Tensor) => Array.from(t.dataSync(), (x) => x.toFixed(3)).join(' ');

for (const weighting of ['soft', 'entmax15', 'sparsemax'] as const) {
  const { weights, output } = attend(scores, value, { weighting });
  console.log(`${weighting.padEnd(9)} ${show(weights)}   output ${show(output)}`);
}

// Known values: a tie splits evenly, a large gap gives a one-hot row, masked keys get exactly 0.
console.log(show(entmax15Weights(tensor([[0, 0]]))), '|', show(entmax15Weights(tensor([[5, 0, -1]]))));
console.log(show(entmax15Weights(tensor([[1, 1, 1]]), { mask: tensor([[true, false, true]]) })));

// Output:
// soft      0.451 0.302 0.150 0.075 0.022   output 0.646 0.497
// entmax15  0.610 0.337 0.053 0.000 0.000   output 0.663 0.390
// sparsemax 0.700 0.300 0.000 0.000 0.000   output 0.700 0.300
// 0.500 0.500 | 1.000 0.000 0.000
// 0.500 0.000 0.500
