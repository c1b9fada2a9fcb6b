// Self-attention (a sequence looks at itself) and cross-attention (a decoder looks at an encoder).
import { crossAttention, selfAttention } from '@heed/attention';
import { Generator, randn } from '@heed/tensor';

const generator = new Generator(1);
const source = randn([1, 6, 16], { generator }); // encoder states  [B=1, S=6, D=16]
const target = randn([1, 3, 16], { generator }); // decoder states  [B=1, L=3, D=16]

const self = selfAttention(source);
console.log(`self-attention:  output [${self.output.shape.join(', ')}], weights [${self.weights.shape.join(', ')}]`);

const cross = crossAttention(target, source); // queries from target, keys and values from source
console.log(`cross-attention: output [${cross.output.shape.join(', ')}], weights [${cross.weights.shape.join(', ')}]`);

// Output:
// self-attention:  output [1, 6, 16], weights [1, 6, 6]
// cross-attention: output [1, 3, 16], weights [1, 3, 6]
