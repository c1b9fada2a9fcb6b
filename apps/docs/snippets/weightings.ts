// Soft, sparse and hard weights for the same scores.
import { attend } from '@heed/attention';
import { Generator, tensor, type Tensor } from '@heed/tensor';

const scores = tensor([[1.2, 1.0, 0.1, -1.0]]); //        [L=1, S=4]
const value = tensor([[1, 0], [0, 1], [1, 1], [0, 0]]); // [S=4, Dv=2]
const show = (t: Tensor) => (t.toArray() as number[][])[0]?.map((x) => x.toFixed(2)).join(' ');

for (const weighting of ['soft', 'sparsemax', 'hard'] as const) {
  const { weights, output } = attend(scores, value, { weighting });
  console.log(`${weighting.padEnd(9)} weights ${show(weights)}   output ${show(output)}`);
}

// Sampled hard attention draws one key from the softmax distribution (seeded here) and returns
// log p(chosen key), for a REINFORCE gradient.
const sampled = attend(scores, value, { weighting: 'sample', generator: new Generator(7) });
console.log(`sample    chose key ${sampled.indices?.item()}, log p = ${sampled.logProbability?.item().toFixed(3)}`);

// Output:
// soft      weights 0.44 0.36 0.15 0.05   output 0.59 0.51
// sparsemax weights 0.60 0.40 0.00 0.00   output 0.60 0.40
// hard      weights 1.00 0.00 0.00 0.00   output 1.00 0.00
// sample    chose key 1, log p = -1.016
