// The five classic score functions on the same queries and keys.
import { AdditiveScore, GeneralScore, cosineScore, dotScore, scaledDotScore } from '@heed/scoring';
import { Generator, tensor } from '@heed/tensor';

const query = tensor([[2, 0, 0, 0]]); //                      [L=1, D=4]
const key = tensor([[1, 0, 0, 0], [0, 3, 0, 0], [4, 0, 0, 0]]); // [S=3, D=4]

console.log(`dot        ${dotScore(query, key).toString()}`); //       q·k
console.log(`scaled dot ${scaledDotScore(query, key).toString()}`); // q·k / √D
console.log(`cosine     ${cosineScore(query, key).toString()}`); //    q·k / (‖q‖‖k‖): direction only

// general (Luong): qᵀ W k, and additive (Bahdanau): vᵀ tanh(W_q q + W_k k), have parameters.
const generator = new Generator(0);
const general = new GeneralScore(4, 4, { generator });
const additive = new AdditiveScore(4, 4, { attentionDim: 8, generator });
console.log(`general    [${general.forward(query, key).shape.join(', ')}]`);
console.log(`additive   [${additive.forward(query, key).shape.join(', ')}]`);
console.log(`parameters ${general.parameters().length} (general), ${additive.parameters().length} (additive)`);

// Output:
// dot        tensor([[2.0000, 0.0000, 8.0000]], shape=[1, 3], dtype=float32)
// scaled dot tensor([[1.0000, 0.0000, 4.0000]], shape=[1, 3], dtype=float32)
// cosine     tensor([[1.0000, 0.0000, 1.0000]], shape=[1, 3], dtype=float32)
// general    [1, 3]
// additive   [1, 3]
// parameters 1 (general), 3 (additive)
