// Multi-head attention: H heads of width E/H, each with its own projections, side by side.
import { MultiHeadAttention } from '@heed/attention';
import { Generator, randn } from '@heed/tensor';

const generator = new Generator(0);
const attention = new MultiHeadAttention(32, 4, { generator }); // E=32, H=4 heads of width 8
const x = randn([2, 10, 32], { generator }); //                       [B=2, L=10, E=32]

const averaged = attention.forward(x, x, x); // weights averaged over the heads, as PyTorch does
console.log(`output [${averaged.output.shape.join(', ')}], weights [${averaged.weights!.shape.join(', ')}]`);

const perHead = attention.forward(x, x, x, { averageAttnWeights: false, causal: true });
console.log(`per head: weights [${perHead.weights!.shape.join(', ')}]`);

const count = attention.parameters().reduce((total, parameter) => total + parameter.size, 0);
console.log(`parameters: ${count} (4·E² + 4·E = ${4 * 32 * 32 + 4 * 32})`);

// Output:
// output [2, 10, 32], weights [2, 10, 10]
// per head: weights [2, 4, 10, 10]
// parameters: 4224 (4·E² + 4·E = 4224)
