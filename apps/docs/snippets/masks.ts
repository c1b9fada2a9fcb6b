// Masks say which keys each query may attend to (true = may attend).
import { attention, causalMask, combineMasks, paddingMask } from '@heed/attention';
import { ones, tensor } from '@heed/tensor';

// A decoder must not look ahead: query i sees keys 0…i.
console.log('causal\n' + causalMask(4).int().toString());

// A batch of two sequences padded to length 4; the first has only 2 real tokens.
const padding = paddingMask([2, 4], 4); // [B=2, 1, 1, S=4], broadcasts over heads and queries
const both = combineMasks(causalMask(4), padding)!; // both must allow a key
console.log(`combined shape [${both.shape.join(', ')}]`);

// A query that may attend to nothing gets zero weights and a zero output, never NaN.
const query = ones([2, 3]);
const key = ones([3, 3]);
const value = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
const nothing = tensor([[true, true, false], [false, false, false]], { dtype: 'bool' }); // row 2: no key
const { output, weights } = attention(query, key, value, { mask: nothing });
console.log(`weights ${weights.toString()}`);
console.log(`output  ${output.toString()}`);

// Output:
// causal
// tensor([[1, 0, 0, 0],
//         [1, 1, 0, 0],
//         [1, 1, 1, 0],
//         [1, 1, 1, 1]], shape=[4, 4], dtype=int32)
// combined shape [2, 1, 4, 4]
// weights tensor([[0.5000, 0.5000, 0.0000],
//         [0.0000, 0.0000, 0.0000]], shape=[2, 3], dtype=float32)
// output  tensor([[2.5000, 3.5000, 4.5000],
//         [0.0000, 0.0000, 0.0000]], shape=[2, 3], dtype=float32)
