// Training attention end to end: learn to read the largest number of a sequence.
import { Attention } from '@heed/attention';
import { AdditiveScore } from '@heed/scoring';
import { Adam, Generator, Linear, Module, mseLoss, rand, type Tensor } from '@heed/tensor';

/** One learned query attends over the positions; the answer is the attended value. */
class ReadTheLargest extends Module {
  readonly embed = this.registerModule('embed', new Linear(1, 8, { generator: new Generator(1) }));
  readonly query = this.registerParameter('query', rand([1, 8], { generator: new Generator(2) }));
  readonly attention = this.registerModule('attention', new Attention({ score: new AdditiveScore(8, 8, { generator: new Generator(3) }) }));

  forward(x: Tensor): { answer: Tensor; weights: Tensor } {
    const keys = this.embed.forward(x); // [B, L, 1] → [B, L, 8]
    const { output, weights } = this.attention.forward(this.query, keys, x); // values are the numbers
    return { answer: output.squeeze(-1).squeeze(-1), weights }; // [B], [B, 1, L]
  }
}

const model = new ReadTheLargest();
const optimizer = new Adam(model.parameters(), { lr: 0.05 });
const data = new Generator(4);
for (let step = 0; step <= 300; step++) {
  const x = rand([32, 10, 1], { generator: data }); // 32 sequences of 10 numbers in [0, 1)
  const target = x.max(1).squeeze(-1); //                 [32]
  const loss = mseLoss(model.forward(x).answer, target);
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
  if (step % 100 === 0) console.log(`step ${step}: loss ${loss.item().toFixed(4)}`);
}

model.eval();
const test = rand([256, 10, 1], { generator: data });
const { answer, weights } = model.forward(test);
const error = answer.sub(test.max(1).squeeze(-1)).abs().mean().item();
console.log(`256 new sequences: mean error ${error.toFixed(3)}, mean weight on the largest ${weights.max(-1).mean().item().toFixed(2)}`);

// Output:
// step 0: loss 0.1535
// ≈ step 100: loss 0.0007
// ≈ step 200: loss 0.0001
// ≈ step 300: loss 0.0003
// ≈ 256 new sequences: mean error 0.015, mean weight on the largest 0.78
