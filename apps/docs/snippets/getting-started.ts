// Self-attention over a tiny batch: every position looks at every position.
import { selfAttention } from '@heed/attention';
import { manualSeed, randn } from '@heed/tensor';

manualSeed(0);
const x = randn([2, 5, 8]); // [B=2, L=5, D=8]: two sequences of five 8-dimensional vectors

const { output, weights } = selfAttention(x); // scaled dot-product scores, softmax weights
console.log(`output  [${output.shape.join(', ')}]`); //  [B, L, D]
console.log(`weights [${weights.shape.join(', ')}]`); // [B, L, L]: one row of weights per query
console.log(`row sums ${(weights.sum(-1).toArray() as number[][])[0]?.map((sum) => sum.toFixed(3)).join(', ')}`);

// Output:
// output  [2, 5, 8]
// weights [2, 5, 5]
// row sums 1.000, 1.000, 1.000, 1.000, 1.000
