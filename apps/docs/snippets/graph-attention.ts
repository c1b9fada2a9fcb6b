// Graph attention (Veličković et al., 2018): every node attends to its neighbours. Two GAT layers
// classify the nodes of a graph with two communities whose features are mostly noise.
import { GraphAttention } from '@heed/attention';
import { Adam, Generator, crossEntropy, noGrad, tensor, type Tensor } from '@heed/tensor';

const generator = new Generator(11);
const nodes = 24;
const community = (node: number): number => (node < nodes / 2 ? 0 : 1);
const sources: number[] = [];
const targets: number[] = [];
for (let i = 0; i < nodes; i++) {
  for (let j = 0; j < nodes; j++) {
    const p = community(i) === community(j) ? 0.4 : 0.03; // dense inside a community, sparse across
    if (i !== j && generator.nextFloat() < p) {
      sources.push(j);
      targets.push(i);
    }
  }
}
const edgeIndex = tensor([sources, targets], { dtype: 'int32' }); // [2, E], PyG's layout: row 0 = source j, row 1 = target i
const labels = Array.from({ length: nodes }, (_, node) => community(node));
const x = tensor(labels.map((label) => [label - 0.5 + 1.5 * generator.nextNormal(), 1.5 * generator.nextNormal()])); // [N, F]

const first = new GraphAttention(2, 4, { heads: 2, generator }); //    like GATConv(2, 4, heads=2): [N, 8]
const second = new GraphAttention(8, 2, { generator }); //              [N, 2] class scores
const optimizer = new Adam([...first.parameters(), ...second.parameters()], { lr: 0.05 });
const logits = (): Tensor => second.forward(first.forward(x, edgeIndex).relu(), edgeIndex);
const accuracy = (): number => {
  const predicted = noGrad(() => logits().argmax(-1).dataSync());
  return labels.filter((label, node) => predicted[node] === label).length / nodes;
};

console.log(`edges: ${sources.length}, accuracy before training: ${accuracy().toFixed(2)}`);
for (let iteration = 0; iteration < 60; iteration++) {
  optimizer.zeroGrad();
  crossEntropy(logits(), tensor(labels, { dtype: 'int32' })).backward();
  optimizer.step();
}
console.log(`accuracy after 60 steps: ${accuracy().toFixed(2)}`);
const { weights } = noGrad(() => first.forwardWithWeights(x, edgeIndex)); // [H, N, N]
const row = Array.from(weights.slice(0, 0, 1).reshape([nodes, nodes]).dataSync().slice(0, nodes));
console.log(`node 0 attends ${row.filter((weight) => weight > 0).length} nodes (its neighbours and itself), weights sum to ${row.reduce((a, b) => a + b, 0).toFixed(2)}`);

// Output:
// ≈ edges: 116, accuracy before training: 0.46
// ≈ accuracy after 60 steps: 1.00
// node 0 attends 8 nodes (its neighbours and itself), weights sum to 1.00
