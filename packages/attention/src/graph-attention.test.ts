import { Adam, DTypeError, Generator, ShapeError, ValueError, crossEntropy, noGrad, randn, tensor, type Tensor } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { expectFinite, expectGradients } from '../test/plain-attention.js';
import { GraphAttention, adjacencyFromEdgeIndex, graphAttention } from './index.js';

const generator = new Generator(17);
const r = (...shape: number[]): Tensor => randn(shape, { generator });
const edges = (pairs: [number, number][]): Tensor => tensor([pairs.map(([source]) => source), pairs.map(([, target]) => target)], { dtype: 'int32' });

/** The GAT equations as loops, float64: edges are (source j, target i) pairs. */
function plainGat(
  x: Tensor,
  pairs: [number, number][],
  layer: { weight: Tensor; attSrc: Tensor; attDst: Tensor; bias: Tensor | null },
  options: { heads: number; outFeatures: number; concat: boolean; selfLoops: boolean },
): number[] {
  const [nodes, features] = x.shape as [number, number];
  const { heads, outFeatures } = options;
  const [X, W, aSrc, aDst] = [x, layer.weight, layer.attSrc, layer.attDst].map((t) => t.dataSync());
  const projected = (node: number, head: number, k: number): number => {
    let total = 0;
    for (let f = 0; f < features; f++) total += W[(head * outFeatures + k) * features + f] * X[node * features + f];
    return total;
  };
  const out: number[] = [];
  for (let i = 0; i < nodes; i++) {
    const neighbours = new Set(pairs.filter(([, target]) => target === i).map(([source]) => source));
    if (options.selfLoops) neighbours.add(i);
    const perHead: number[][] = [];
    for (let h = 0; h < heads; h++) {
      const scores = [...neighbours].map((j) => {
        let e = 0;
        for (let k = 0; k < outFeatures; k++) e += aDst[h * outFeatures + k] * projected(i, h, k) + aSrc[h * outFeatures + k] * projected(j, h, k);
        return e > 0 ? e : 0.2 * e;
      });
      const top = Math.max(...scores);
      const exps = scores.map((score) => Math.exp(score - top));
      const total = exps.reduce((a, b) => a + b, 0);
      perHead.push(Array.from({ length: outFeatures }, (_, k) => [...neighbours].reduce((sum, j, index) => sum + (exps[index] / total) * projected(j, h, k), 0)));
    }
    const row = options.concat ? perHead.flat() : perHead[0].map((_, k) => perHead.reduce((sum, head) => sum + head[k], 0) / heads);
    const bias = layer.bias?.dataSync();
    out.push(...row.map((value, k) => value + (bias ? bias[k] : 0)));
  }
  return out;
}

// A small random directed graph on 6 nodes; node 5 has no incoming edge.
const pairs: [number, number][] = [[0, 1], [1, 0], [2, 1], [3, 2], [4, 2], [1, 3], [0, 4], [3, 4], [2, 4], [5, 0]];

describe('graphAttention', () => {
  it('equals a direct loop of the GAT equations, per head, concatenated and averaged', () => {
    const x = r(6, 3);
    for (const concat of [true, false]) {
      const layer = new GraphAttention(3, 2, { heads: 3, concat, generator: new Generator(3) });
      noGrad(() => layer.bias!.assign(r(concat ? 6 : 2)));
      const output = layer.forward(x, edges(pairs));
      expect(output.shape).toEqual([6, concat ? 6 : 2]);
      const expected = plainGat(x, pairs, { ...layer.parameterSet(), bias: layer.bias }, { heads: 3, outFeatures: 2, concat, selfLoops: true });
      assertAllclose(output, expected, { abs: 1e-5, rel: 1e-4 });
    }
  });

  it('gives the same result from an edge index and from the dense adjacency', () => {
    const x = r(6, 3);
    const layer = new GraphAttention(3, 4, { heads: 2, generator: new Generator(4) });
    const adjacency = adjacencyFromEdgeIndex(edges(pairs), 6);
    expect(adjacency.dataSync()[1 * 6 + 2]).toBe(1); // the edge 2 → 1: node 1 may attend node 2
    expect(adjacency.dataSync()[2 * 6 + 1]).toBe(0);
    assertAllclose(layer.forward(x, adjacency), layer.forward(x, edges(pairs)).dataSync(), { abs: 0, rel: 0 });
  });

  it('gives an isolated node (no neighbour, no self-loop) zeros plus the bias, never NaN', () => {
    const layer = new GraphAttention(3, 2, { heads: 2, addSelfLoops: false, generator: new Generator(5) });
    noGrad(() => layer.bias!.assign(tensor([1, 2, 3, 4])));
    const x = r(6, 3);
    x.requiresGrad = true;
    const { output, weights } = layer.forwardWithWeights(x, edges(pairs.filter(([source, target]) => source !== 5 && target !== 5)));
    expect(Array.from(output.dataSync().slice(5 * 4))).toEqual([1, 2, 3, 4]);
    expect(weights.shape).toEqual([2, 6, 6]);
    const expected = plainGat(x, pairs.slice(0, 9), { ...layer.parameterSet(), bias: layer.bias }, { heads: 2, outFeatures: 2, concat: true, selfLoops: false });
    assertAllclose(output.slice(0, 0, 5), expected.slice(0, 20), { abs: 1e-5, rel: 1e-4 });
    output.sum().backward();
    expectFinite(x.grad!.dataSync());
  });

  it('runs a batch [B, N, F] with one shared graph or one adjacency per graph', () => {
    const layer = new GraphAttention(3, 2, { heads: 2, generator: new Generator(6) });
    const x = r(2, 6, 3);
    const other = adjacencyFromEdgeIndex(edges([[0, 5], [5, 0]]), 6);
    const batched = layer.forward(x, tensor([adjacencyFromEdgeIndex(edges(pairs), 6).toArray(), other.toArray()] as boolean[][][]));
    expect(batched.shape).toEqual([2, 6, 4]);
    assertAllclose(batched.slice(0, 0, 1).squeeze(0), layer.forward(x.slice(0, 0, 1).squeeze(0), edges(pairs)).dataSync(), { abs: 1e-6, rel: 1e-5 });
    assertAllclose(batched.slice(0, 1, 2).squeeze(0), layer.forward(x.slice(0, 1, 2).squeeze(0), other).dataSync(), { abs: 1e-6, rel: 1e-5 });
    expect(layer.forward(x, edges(pairs)).shape).toEqual([2, 6, 4]);
  });

  it('passes a gradient check with respect to the features and every parameter', () => {
    const graph = edges(pairs.slice(0, 7));
    for (const concat of [true, false]) {
      expectGradients(
        (x: Tensor, weight: Tensor, attSrc: Tensor, attDst: Tensor, bias: Tensor) => graphAttention(x, graph, { weight, attSrc, attDst, bias }, { concat }).output,
        [r(6, 3), r(4, 3), r(1, 2, 2), r(1, 2, 2), r(concat ? 4 : 2)],
      );
    }
  });

  it('uses PyG\'s parameter names and shapes, and dropout only in training mode', () => {
    const layer = new GraphAttention(5, 3, { heads: 2, dropout: 0.5, generator: new Generator(8) });
    const state = layer.stateDict();
    expect(Object.keys(state).sort()).toEqual(['att_dst', 'att_src', 'bias', 'lin.weight']);
    expect([state['lin.weight'].shape, state.att_src.shape, state.bias.shape]).toEqual([[6, 5], [1, 2, 3], [6]]);
    expect(Object.keys(new GraphAttention(5, 3, { heads: 2, concat: false, bias: false }).stateDict()).sort()).toEqual(['att_dst', 'att_src', 'lin.weight']);
    const x = r(6, 5);
    const train = layer.forward(x, edges(pairs)).dataSync();
    layer.eval();
    const first = layer.forward(x, edges(pairs)).dataSync();
    expect(Array.from(layer.forward(x, edges(pairs)).dataSync())).toEqual(Array.from(first));
    expect(Array.from(train)).not.toEqual(Array.from(first));
  });

  it('names the argument and the shapes on bad input', () => {
    const layer = new GraphAttention(3, 2);
    expect(() => layer.forward(r(6, 4), edges(pairs))).toThrow(/GraphAttention: argument x: expected shape \[N, F = 3\] or \[B, N, F = 3\], got \[6, 4\]/);
    expect(() => graphAttention(r(6, 4), edges(pairs), layer.parameterSet())).toThrow(/argument weight: expected shape \[H·F', F\] = \[2, 4\], got \[2, 3\]/);
    expect(() => layer.forward(r(6, 3), tensor([[true, false], [false, true]]))).toThrow(ShapeError);
    expect(() => layer.forward(r(6, 3), tensor([[0, 1], [1, 0]]))).toThrow(DTypeError);
    expect(() => layer.forward(r(6, 3), edges([[0, 6]]))).toThrow(ValueError);
    expect(() => new GraphAttention(3, 2, { heads: 0 })).toThrow(/heads/);
  });
});

describe('GraphAttention training', () => {
  it('classifies the nodes of a two-community graph after a few steps', () => {
    const started = Date.now();
    const g = new Generator(11);
    const nodes = 24;
    const community = (node: number): number => (node < nodes / 2 ? 0 : 1);
    const pairsOf: [number, number][] = [];
    for (let i = 0; i < nodes; i++) {
      for (let j = 0; j < nodes; j++) {
        if (i !== j && g.nextFloat() < (community(i) === community(j) ? 0.4 : 0.03)) pairsOf.push([j, i]);
      }
    }
    // Features carry the community only weakly; neighbours' features average the noise away.
    const labels = Array.from({ length: nodes }, (_, node) => community(node));
    const x = tensor(labels.map((label) => [label - 0.5 + 1.5 * g.nextNormal(), 1.5 * g.nextNormal(), 1.5 * g.nextNormal()]));
    const graph = edges(pairsOf);
    const first = new GraphAttention(3, 4, { heads: 2, generator: new Generator(12) });
    const second = new GraphAttention(8, 2, { heads: 1, generator: new Generator(13) });
    const parameters = [...first.parameters(), ...second.parameters()];
    const optimizer = new Adam(parameters, { lr: 0.05 });
    const target = tensor(labels, { dtype: 'int32' });
    const logits = (): Tensor => second.forward(first.forward(x, graph).relu(), graph);
    for (let iteration = 0; iteration < 60; iteration++) {
      optimizer.zeroGrad();
      crossEntropy(logits(), target).backward();
      optimizer.step();
    }
    const predicted = noGrad(() => logits().argmax(-1).dataSync());
    const accuracy = labels.filter((label, node) => predicted[node] === label).length / nodes;
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
