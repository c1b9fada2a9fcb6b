// Attention is blind to order; positions are added to the inputs or to the scores.
import { alibiBias, alibiSlopes, selfAttention, sinusoidalPositionalEncoding } from '@heed/attention';
import { tensor } from '@heed/tensor';

// Without positions, permuting the inputs just permutes the outputs.
const x = tensor([[1, 0], [0, 1], [1, 1]]);
const swapped = tensor([[0, 1], [1, 0], [1, 1]]); // rows 0 and 1 exchanged
const plain = selfAttention(x).output.toArray() as number[][];
const plainSwapped = selfAttention(swapped).output.toArray() as number[][];
console.log(`same outputs, permuted: ${JSON.stringify(plain[0]) === JSON.stringify(plainSwapped[1])}`);

// Sinusoidal encodings (Vaswani et al.): sin/cos waves of geometric wavelengths, [L, D].
const encoding = sinusoidalPositionalEncoding(3, 2);
const withPositions = selfAttention(x.add(encoding)).output.toArray() as number[][];
const withPositionsSwapped = selfAttention(swapped.add(encoding)).output.toArray() as number[][];
console.log(`with positions, permuted: ${JSON.stringify(withPositions[0]) === JSON.stringify(withPositionsSwapped[1])}`);

// ALiBi (Press et al.): no embeddings, a per-head penalty proportional to the distance.
console.log(`ALiBi slopes for 4 heads: ${alibiSlopes(4).join(', ')}`);
console.log(`head 0 bias, last query: ${(alibiBias(4, 4).toArray() as number[][][])[0]?.[3]?.join(', ')}`);

// Output:
// same outputs, permuted: true
// with positions, permuted: false
// ALiBi slopes for 4 heads: 0.25, 0.0625, 0.015625, 0.00390625
// head 0 bias, last query: -0.75, -0.5, -0.25, 0
