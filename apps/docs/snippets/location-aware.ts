// Location-aware attention (Chorowski et al., 2015) sees where it attended at the previous step,
// through a convolution of the previous weights, so it can learn to move forward monotonically.
import { LocationAwareAttention } from '@heed/attention';
import { Generator, SGD, randn, tensor, zeros, type Tensor } from '@heed/tensor';

const generator = new Generator(1);
const encoderOutputs = randn([1, 6, 3], { generator }); //         [B, S, Dk]: six encoder frames
const decoderState = zeros([1, 4]); //                              [B, Dq]: tells the attention nothing
const attention = new LocationAwareAttention(4, 3, { attentionDim: 8, filters: 3, kernelSize: 5, generator });

// Teach it to step one frame forward per output, from the previous alignment alone.
function decode(): { loss: Tensor; focus: number[]; onTarget: number[] } {
  let weights = tensor([[1, 0, 0, 0, 0, 0]]); //                    α_0: start at frame 0
  let loss = zeros([]);
  const focus: number[] = [];
  const onTarget: number[] = [];
  for (let step = 1; step < 6; step++) {
    ({ weights } = attention.forward(decoderState, encoderOutputs, weights)); // weights [B, S]
    const target = weights.slice(1, step, step + 1);
    loss = loss.sub(target.add(1e-6).log().sum());
    focus.push(weights.argmax(-1).item());
    onTarget.push(target.item());
  }
  return { loss, focus, onTarget };
}

const optimizer = new SGD(attention.parameters(), { lr: 0.5 });
for (let iteration = 0; iteration < 80; iteration++) {
  optimizer.zeroGrad();
  decode().loss.backward();
  optimizer.step();
}
const { focus, onTarget } = decode();
console.log(`focus per output step: ${focus.join(' ')}`);
console.log(`weight on the expected frame: ${onTarget.map((weight) => weight.toFixed(2)).join(' ')}`);

// Output:
// focus per output step: 1 2 3 4 5
// ≈ weight on the expected frame: 1.00 1.00 1.00 1.00 1.00
