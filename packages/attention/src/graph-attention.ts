import {
  DTypeError,
  Linear,
  Module,
  ShapeError,
  Tensor,
  ValueError,
  add,
  dropout,
  formatShape,
  gt,
  logicalOr,
  matmul,
  mean,
  mul,
  sum,
  uniform,
  where,
  zeros,
  type Generator,
} from '@heed/tensor';
import { softWeights } from './weighting/soft.js';

/**
 * Turns a PyTorch Geometric edge index into heed's dense adjacency.
 *
 * Legend: `N` nodes, `E` edges.
 *
 * @param edgeIndex - int32 `[2, E]`: row 0 the source `j`, row 1 the target `i` of each edge `j → i`.
 * @param numNodes - `N`.
 * @returns bool `[N, N]` with `adjacency[i][j] = true` iff there is an edge `j → i` (node `i` may
 *   attend node `j`). Duplicate edges collapse into one.
 * @example
 * ```ts
 * adjacencyFromEdgeIndex(tensor([[0, 1], [1, 2]], { dtype: 'int32' }), 3).toArray();
 * // [[false, false, false], [true, false, false], [false, true, false]]
 * ```
 */
export function adjacencyFromEdgeIndex(edgeIndex: Tensor, numNodes: number): Tensor {
  const op = 'adjacencyFromEdgeIndex';
  if (edgeIndex.dtype !== 'int32') throw new DTypeError(op, 'edgeIndex', 'int32', edgeIndex.dtype);
  if (edgeIndex.rank !== 2 || edgeIndex.shape[0] !== 2) throw new ShapeError(op, 'edgeIndex', '[2, E]', edgeIndex.shape);
  if (!Number.isInteger(numNodes) || numNodes < 0) throw new ValueError(op, 'numNodes', `must be a non-negative integer, got ${numNodes}`);
  const edges = edgeIndex.shape[1];
  const values = edgeIndex.dataSync();
  const data = new Uint8Array(numNodes * numNodes);
  for (let edge = 0; edge < edges; edge++) {
    const source = values[edge];
    const target = values[edges + edge];
    if (!(source >= 0 && source < numNodes && target >= 0 && target < numNodes)) {
      throw new ValueError(op, 'edgeIndex', `edge ${edge} (${source} → ${target}) names a node outside [0, ${numNodes})`);
    }
    data[target * numNodes + source] = 1;
  }
  return Tensor.fromData(data, [numNodes, numNodes], 'bool', edgeIndex.backend);
}

/** The parameters of {@link graphAttention}, with PyTorch Geometric's `GATConv` layout. */
export interface GraphAttentionParameters {
  /** `W`, `[H·F', F]` (`lin.weight`). */
  weight: Tensor;
  /** `a_src`, `[1, H, F']` (`att_src`): the half of `a` that scores the neighbour `j`. */
  attSrc: Tensor;
  /** `a_dst`, `[1, H, F']` (`att_dst`): the half of `a` that scores the node `i` itself. */
  attDst: Tensor;
  /** `[H·F']` with `concat`, `[F']` without (optional). */
  bias?: Tensor | null;
}

/** Options of {@link graphAttention}. */
export interface GraphAttentionFunctionOptions {
  /** Concatenate the heads (default true, `[.., N, H·F']`) or average them (`[.., N, F']`). */
  concat?: boolean;
  /** LeakyReLU slope for negative scores (default 0.2). */
  negativeSlope?: number;
  /** Dropout on the attention coefficients (default 0), only while `training`. */
  dropout?: number;
  /** Let every node attend itself (default true), as `GATConv(add_self_loops=True)`. */
  addSelfLoops?: boolean;
  /** Training mode (default true): dropout on. */
  training?: boolean;
  /** Generator for dropout. */
  generator?: Generator;
}

/** What {@link graphAttention} returns. */
export interface GraphAttentionResult {
  /** `[N, H·F']` or `[N, F']` (with a leading `B` for batched input). */
  output: Tensor;
  /** The coefficients `α_ij` after dropout, `[H, N, N]` (or `[B, H, N, N]`); rows of isolated nodes are 0. */
  weights: Tensor;
}

/** Checks the graph and returns the bool adjacency lifted to broadcast against `[.., H, N, N]`. */
function adjacencyOf(op: string, graph: Tensor, nodes: number, batched: boolean, addSelfLoops: boolean): Tensor {
  let adjacency: Tensor;
  if (graph.dtype === 'int32') adjacency = adjacencyFromEdgeIndex(graph, nodes);
  else if (graph.dtype !== 'bool') throw new DTypeError(op, 'graph', 'bool adjacency [N, N] or int32 edge index [2, E]', graph.dtype);
  else {
    const fits = (graph.rank === 2 || (graph.rank === 3 && batched)) && graph.shape[graph.rank - 1] === nodes && graph.shape[graph.rank - 2] === nodes;
    if (!fits) throw new ShapeError(op, 'graph', batched ? `bool [N, N] or [B, N, N] with N = ${nodes}` : `bool [N, N] with N = ${nodes}`, graph.shape);
    adjacency = graph;
  }
  if (addSelfLoops) {
    const data = new Uint8Array(nodes * nodes);
    for (let node = 0; node < nodes; node++) data[node * nodes + node] = 1;
    adjacency = logicalOr(adjacency, Tensor.fromData(data, [nodes, nodes], 'bool', adjacency.backend));
  }
  return adjacency.rank === 3 ? adjacency.unsqueeze(1) : adjacency; // [N, N] or [B, 1, N, N]
}

/**
 * Graph attention (Veličković, Cucurull, Casanova, Romero, Liò & Bengio 2018, "Graph Attention
 * Networks"), the layer PyTorch Geometric calls `GATConv`. Each node attends its neighbours:
 *
 * `e_ij = LeakyReLU(a_dstᵀ W x_i + a_srcᵀ W x_j)` (`aᵀ[W x_i ‖ W x_j]` with `a = [a_dst ‖ a_src]`),
 * `α_ij = softmax_j(e_ij)` over `j ∈ N(i)` (plus `i` itself with self-loops),
 * `x'_i = ‖_h Σ_j α^h_ij W^h x_j` (concat) or the mean over heads, plus the bias.
 *
 * It runs densely: an `[.., H, N, N]` masked softmax, memory O(H·N²), which suits graphs up to a
 * few thousand nodes. A node with no neighbour (and no self-loop) gets a zero output plus the
 * bias, never NaN. Duplicate edges in an edge index count once (PyG would count them twice).
 *
 * Legend: `B` batch (optional), `N` nodes, `E` edges, `F` input features, `F'` output features
 * per head, `H` heads.
 *
 * @param x - node features `[N, F]` or `[B, N, F]`.
 * @param graph - bool adjacency `[N, N]` (or `[B, N, N]`), `adjacency[i][j] = true` iff `i` may
 *   attend `j` (edge `j → i`); or an int32 edge index `[2, E]` as in PyG (row 0 source `j`, row 1 target `i`).
 * @returns `{ output [.., N, H·F' or F'], weights [.., H, N, N] }`.
 * @example
 * ```ts
 * const parameters = { weight: randn([2 * 4, 3]), attSrc: randn([1, 2, 4]), attDst: randn([1, 2, 4]) };
 * const edgeIndex = tensor([[0, 1, 2], [1, 2, 0]], { dtype: 'int32' });
 * graphAttention(randn([3, 3]), edgeIndex, parameters).output.shape; // [3, 8]
 * ```
 */
export function graphAttention(x: Tensor, graph: Tensor, parameters: GraphAttentionParameters, options: GraphAttentionFunctionOptions = {}): GraphAttentionResult {
  return graphAttentionAs('graphAttention', x, graph, parameters, options);
}

function graphAttentionAs(op: string, x: Tensor, graph: Tensor, parameters: GraphAttentionParameters, options: GraphAttentionFunctionOptions): GraphAttentionResult {
  if (x.dtype !== 'float32') throw new DTypeError(op, 'x', 'float32', x.dtype);
  if (x.rank !== 2 && x.rank !== 3) throw new ShapeError(op, 'x', '[N, F] or [B, N, F]', x.shape);
  const nodes = x.shape[x.rank - 2];
  const features = x.shape[x.rank - 1];
  const { weight, attSrc, attDst, bias } = parameters;
  if (attSrc.rank !== 3 || attSrc.shape[0] !== 1) throw new ShapeError(op, 'attSrc', '[1, H, F\']', attSrc.shape);
  const [, heads, outFeatures] = attSrc.shape as [number, number, number];
  if (formatShape(attDst.shape) !== formatShape(attSrc.shape)) throw new ShapeError(op, 'attDst', `[1, H, F'] = ${formatShape(attSrc.shape)}`, attDst.shape);
  if (formatShape(weight.shape) !== formatShape([heads * outFeatures, features])) {
    throw new ShapeError(op, 'weight', `[H·F', F] = ${formatShape([heads * outFeatures, features])}`, weight.shape, `x is ${formatShape(x.shape)}`);
  }
  const concat = options.concat ?? true;
  const width = concat ? heads * outFeatures : outFeatures;
  if (bias && formatShape(bias.shape) !== formatShape([width])) throw new ShapeError(op, 'bias', concat ? `[H·F'] = [${width}]` : `[F'] = [${width}]`, bias.shape);
  const slope = options.negativeSlope ?? 0.2;
  if (!Number.isFinite(slope)) throw new ValueError(op, 'negativeSlope', `must be finite, got ${slope}`);
  const p = options.dropout ?? 0;
  if (!(p >= 0 && p <= 1)) throw new ValueError(op, 'dropout', `must be in [0, 1], got ${p}`);
  const adjacency = adjacencyOf(op, graph, nodes, x.rank === 3, options.addSelfLoops ?? true);

  const projected = matmul(x, weight.transpose()).reshape([...x.shape.slice(0, -1), heads, outFeatures]); // [.., N, H, F']
  const sourceScore = sum(mul(projected, attSrc), -1).transpose(-2, -1); // [.., H, N]
  const targetScore = sum(mul(projected, attDst), -1).transpose(-2, -1); // [.., H, N]
  const raw = add(targetScore.unsqueeze(-1), sourceScore.unsqueeze(-2)); // [.., H, N(i), N(j)]
  const scores = where(gt(raw, 0), raw, mul(raw, slope));
  const coefficients = softWeights(scores, { mask: adjacency });
  const weights = p > 0 ? dropout(coefficients, p, options.training ?? true, options.generator) : coefficients;
  const perHead = matmul(weights, projected.transpose(-3, -2)); // [.., H, N, F']
  const combined = concat ? perHead.transpose(-3, -2).reshape([...x.shape.slice(0, -1), width]) : mean(perHead, -3);
  return { output: bias ? add(combined, bias) : combined, weights };
}

/** Options of the {@link GraphAttention} module (PyG's `GATConv` arguments, camelCased). */
export interface GraphAttentionOptions {
  /** Attention heads `H` (default 1). */
  heads?: number;
  /** Concatenate the heads (default true) or average them. */
  concat?: boolean;
  /** LeakyReLU slope (default 0.2). */
  negativeSlope?: number;
  /** Dropout on the coefficients while training (default 0). */
  dropout?: number;
  /** Add a self-loop to every node (default true). */
  addSelfLoops?: boolean;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights and for dropout. */
  generator?: Generator;
}

/**
 * {@link graphAttention} as a module: heed's `GATConv`. Its state dict uses PyTorch Geometric's
 * names and shapes, so a `GATConv(in, out, heads)` state dict loads: `lin.weight` `[H·F', F]`,
 * `att_src` `[1, H, F']`, `att_dst` `[1, H, F']`, `bias` `[H·F']` (concat) or `[F']`. Initialised as
 * PyG does: Glorot-uniform weights and attention vectors, zero bias. `train()`/`eval()` switch the
 * coefficient dropout.
 *
 * Legend: `B` batch (optional), `N` nodes, `F` in features, `F'` out features, `H` heads.
 *
 * @example
 * ```ts
 * const layer = new GraphAttention(16, 8, { heads: 4 });          // like GATConv(16, 8, heads=4)
 * const edgeIndex = tensor([[0, 1, 1, 2], [1, 0, 2, 1]], { dtype: 'int32' });
 * layer.forward(randn([3, 16]), edgeIndex).shape;                  // [3, 32]
 * ```
 */
export class GraphAttention extends Module {
  readonly lin: Linear;
  readonly attSrc: Tensor;
  readonly attDst: Tensor;
  readonly bias: Tensor | null;
  readonly heads: number;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    readonly options: GraphAttentionOptions = {},
  ) {
    super();
    this.heads = options.heads ?? 1;
    for (const [name, size] of [['inFeatures', inFeatures], ['outFeatures', outFeatures], ['heads', this.heads]] as const) {
      if (!Number.isInteger(size) || size < 1) throw new ValueError('GraphAttention', name, `must be a positive integer, got ${size}`);
    }
    const random = options.generator ? { generator: options.generator } : {};
    const glorot = (shape: number[], fanIn: number, fanOut: number): Tensor => {
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      return uniform(shape, -bound, bound, random);
    };
    const width = this.heads * outFeatures;
    this.lin = this.registerModule('lin', new Linear(inFeatures, width, { bias: false, ...random }));
    this.lin.loadStateDict({ weight: glorot([width, inFeatures], inFeatures, width) });
    this.attSrc = this.registerParameter('att_src', glorot([1, this.heads, outFeatures], this.heads, outFeatures));
    this.attDst = this.registerParameter('att_dst', glorot([1, this.heads, outFeatures], this.heads, outFeatures));
    this.bias = this.registerParameter('bias', options.bias === false ? null : zeros([(options.concat ?? true) ? width : outFeatures]));
  }

  /** The parameters as {@link graphAttention} takes them. */
  parameterSet(): GraphAttentionParameters {
    return { weight: this.lin.weight, attSrc: this.attSrc, attDst: this.attDst, bias: this.bias };
  }

  /**
   * @param x - `[N, F]` or `[B, N, F]`.
   * @param graph - bool adjacency `[N, N]`/`[B, N, N]` (true = `i` may attend `j`) or int32 edge index `[2, E]`.
   * @returns `[.., N, H·F']` (concat) or `[.., N, F']` (mean).
   */
  forward(x: Tensor, graph: Tensor): Tensor {
    return this.forwardWithWeights(x, graph).output;
  }

  /** {@link GraphAttention.forward} plus the coefficients `[.., H, N, N]` (PyG's `return_attention_weights`). */
  forwardWithWeights(x: Tensor, graph: Tensor): GraphAttentionResult {
    if ((x.rank !== 2 && x.rank !== 3) || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError('GraphAttention', 'x', `[N, F = ${this.inFeatures}] or [B, N, F = ${this.inFeatures}]`, x.shape);
    }
    return graphAttentionAs('GraphAttention', x, graph, this.parameterSet(), {
      concat: this.options.concat ?? true,
      negativeSlope: this.options.negativeSlope ?? 0.2,
      dropout: this.options.dropout ?? 0,
      addSelfLoops: this.options.addSelfLoops ?? true,
      training: this.training,
      ...(this.options.generator ? { generator: this.options.generator } : {}),
    });
  }
}
