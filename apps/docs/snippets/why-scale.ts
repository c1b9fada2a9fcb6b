// Why divide by √D: the dot product of random vectors grows like √D, and the softmax saturates.
import { Generator, randn, type Tensor } from '@heed/tensor';

const generator = new Generator(42);
// The average over 32 queries of the largest of the 64 weights each gives.
const peak = (scores: Tensor) => scores.softmax(-1).max(-1).mean().item().toFixed(2);
for (const depth of [4, 64, 1024]) {
  const queries = randn([32, depth], { generator }); // entries ~ N(0, 1)
  const keys = randn([64, depth], { generator });
  const dot = queries.matmul(keys.transpose(0, 1)); // [32, 64]
  const spread = Math.sqrt(dot.square().mean().item()); // ≈ √D
  console.log(`D=${depth}: spread of q·k ${spread.toFixed(1)}, largest weight ${peak(dot)} unscaled, ${peak(dot.div(Math.sqrt(depth)))} scaled`);
}

// Output:
// D=4: spread of q·k 1.9, largest weight 0.26 unscaled, 0.10 scaled
// D=64: spread of q·k 7.9, largest weight 0.79 unscaled, 0.11 scaled
// D=1024: spread of q·k 32.0, largest weight 0.92 unscaled, 0.10 scaled
