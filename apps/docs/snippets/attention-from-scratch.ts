// Attention in three lines of tensor code: scores → weights → weighted sum.
import { tensor } from '@heed/tensor';

// One query (what we are looking for) and three keys with their values (what we can look at).
const query = tensor([[1, 0]]); //                    [L=1, D=2]
const keys = tensor([[1, 0], [0, 1], [1, 1]]); //      [S=3, D=2]
const values = tensor([[10, 0], [0, 10], [5, 5]]); //  [S=3, Dv=2]

const scores = query.matmul(keys.transpose(0, 1)); // [1, 3]: how well each key matches the query
const weights = scores.softmax(-1); //                [1, 3]: positive, and the row sums to 1
const context = weights.matmul(values); //            [1, 2]: the weighted sum of the values

console.log(`scores  ${scores.toString()}`);
console.log(`weights ${weights.toString()}`);
console.log(`context ${context.toString()}`);

// Output:
// scores  tensor([[1.0000, 0.0000, 1.0000]], shape=[1, 3], dtype=float32)
// weights tensor([[0.4223, 0.1554, 0.4223]], shape=[1, 3], dtype=float32)
// context tensor([[6.3348, 3.6652]], shape=[1, 2], dtype=float32)
