/**
 * Builds ONNX models in memory for the peers suite: the graphs a user would get by exporting the
 * same computation from PyTorch (MatMul → Softmax → MatMul for attention, the standard LSTM
 * operator), plus onnxruntime's fused MultiHeadAttention contrib operator. Field numbers follow
 * onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto).
 */
import { ProtoWriter } from './protobuf-writer.js';

const FLOAT = 1;
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_STRING = 3;
const ATTRIBUTE_INTS = 7;

/** A node attribute value: number (int unless `float`), string or int list. */
export type AttributeValue = number | string | number[] | { float: number };

/** One operator in the graph. */
export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeValue>;
  domain?: string;
}

/** A float32 graph input or output; `null` dims are symbolic. */
export interface OnnxValue {
  name: string;
  shape: (number | string)[];
}

/** A float32 constant. */
export interface OnnxInitializer {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** A whole model. */
export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  initializers?: OnnxInitializer[];
  /** Extra operator sets, e.g. `{ 'com.microsoft': 1 }`. */
  opsets?: Record<string, number>;
}

function attribute(name: string, value: AttributeValue): ProtoWriter {
  const proto = new ProtoWriter().string(1, name);
  if (typeof value === 'number') return proto.int(3, value).int(20, ATTRIBUTE_INT);
  if (typeof value === 'string') return proto.string(4, value).int(20, ATTRIBUTE_STRING);
  if (Array.isArray(value)) {
    for (const item of value) proto.int(8, item);
    return proto.int(20, ATTRIBUTE_INTS);
  }
  return proto.float(2, value.float).int(20, ATTRIBUTE_FLOAT);
}

function valueInfo(value: OnnxValue): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of value.shape) {
    shape.message(1, typeof dim === 'number' ? new ProtoWriter().int(1, dim) : new ProtoWriter().string(2, dim));
  }
  const tensorType = new ProtoWriter().int(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, value.name).message(2, new ProtoWriter().message(1, tensorType));
}

function initializer(constant: OnnxInitializer): ProtoWriter {
  const proto = new ProtoWriter();
  for (const dim of constant.shape) proto.int(1, dim);
  const raw = new Uint8Array(constant.data.buffer, constant.data.byteOffset, constant.data.byteLength);
  return proto.int(2, FLOAT).string(8, constant.name).bytes(9, raw.slice());
}

/**
 * Serialises a graph as an ONNX model (IR version 8, default opset 17).
 *
 * @example
 * ```ts
 * const bytes = encodeOnnxModel({ name: 'mm', nodes: [{ opType: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }],
 *   inputs: [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [3, 4] }], outputs: [{ name: 'c', shape: [2, 4] }] });
 * ```
 */
export function encodeOnnxModel(graph: OnnxGraph): Uint8Array {
  const body = new ProtoWriter();
  graph.nodes.forEach((node, index) => {
    const proto = new ProtoWriter();
    for (const input of node.inputs) proto.string(1, input);
    for (const output of node.outputs) proto.string(2, output);
    proto.string(3, `${node.opType.toLowerCase()}_${index}`).string(4, node.opType);
    for (const [name, value] of Object.entries(node.attributes ?? {})) proto.message(5, attribute(name, value));
    if (node.domain) proto.string(7, node.domain);
    body.message(1, proto);
  });
  body.string(2, graph.name);
  for (const constant of graph.initializers ?? []) body.message(5, initializer(constant));
  for (const input of graph.inputs) body.message(11, valueInfo(input));
  for (const output of graph.outputs) body.message(12, valueInfo(output));
  const model = new ProtoWriter().int(1, 8).string(2, 'heed-bench').string(3, '1');
  model.message(7, body);
  model.message(8, new ProtoWriter().string(1, '').int(2, 17));
  for (const [domain, version] of Object.entries(graph.opsets ?? {})) model.message(8, new ProtoWriter().string(1, domain).int(2, version));
  return model.finish();
}

/** `c = a · b` for square `size` matrices. */
export function matmulModel(size: number): Uint8Array {
  return encodeOnnxModel({
    name: 'matmul',
    nodes: [{ opType: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }],
    inputs: [
      { name: 'a', shape: [size, size] },
      { name: 'b', shape: [size, size] },
    ],
    outputs: [{ name: 'c', shape: [size, size] }],
  });
}

/** Softmax attention as PyTorch exports it: `softmax(q kᵀ · scale) v`, q/k/v `[1, L, D]`. */
export function attentionModel(length: number, depth: number): Uint8Array {
  const shape = [1, length, depth];
  return encodeOnnxModel({
    name: 'attention',
    nodes: [
      { opType: 'Transpose', inputs: ['key'], outputs: ['key_t'], attributes: { perm: [0, 2, 1] } },
      { opType: 'MatMul', inputs: ['query', 'key_t'], outputs: ['scores'] },
      { opType: 'Mul', inputs: ['scores', 'scale'], outputs: ['scaled'] },
      { opType: 'Softmax', inputs: ['scaled'], outputs: ['weights'], attributes: { axis: -1 } },
      { opType: 'MatMul', inputs: ['weights', 'value'], outputs: ['output'] },
    ],
    inputs: ['query', 'key', 'value'].map((name) => ({ name, shape })),
    outputs: [{ name: 'output', shape }],
    initializers: [{ name: 'scale', shape: [], data: Float32Array.of(1 / Math.sqrt(depth)) }],
  });
}

/** onnxruntime's fused `com.microsoft.MultiHeadAttention` with one head, q/k/v `[1, L, D]`. */
export function fusedAttentionModel(length: number, depth: number): Uint8Array {
  const shape = [1, length, depth];
  return encodeOnnxModel({
    name: 'fused_attention',
    nodes: [{ opType: 'MultiHeadAttention', domain: 'com.microsoft', inputs: ['query', 'key', 'value'], outputs: ['output'], attributes: { num_heads: 1 } }],
    inputs: ['query', 'key', 'value'].map((name) => ({ name, shape })),
    outputs: [{ name: 'output', shape }],
    opsets: { 'com.microsoft': 1 },
  });
}

/** LSTM weights in ONNX's layout (gate order i, o, f, c). */
export interface OnnxLstmWeights {
  /** `[1, 4H, I]`. */
  w: Float32Array;
  /** `[1, 4H, H]`. */
  r: Float32Array;
  /** `[1, 8H]`: input biases then recurrent biases. */
  b: Float32Array;
}

/** The standard ONNX `LSTM` operator, x `[T, B, I]` → y `[T, 1, B, H]`, weights as constants. */
export function lstmModel(steps: number, batch: number, inputSize: number, hidden: number, weights: OnnxLstmWeights): Uint8Array {
  return encodeOnnxModel({
    name: 'lstm',
    nodes: [{ opType: 'LSTM', inputs: ['x', 'w', 'r', 'b'], outputs: ['y', 'y_h', 'y_c'], attributes: { hidden_size: hidden } }],
    inputs: [{ name: 'x', shape: [steps, batch, inputSize] }],
    outputs: [
      { name: 'y', shape: [steps, 1, batch, hidden] },
      { name: 'y_h', shape: [1, batch, hidden] },
      { name: 'y_c', shape: [1, batch, hidden] },
    ],
    initializers: [
      { name: 'w', shape: [1, 4 * hidden, inputSize], data: weights.w },
      { name: 'r', shape: [1, 4 * hidden, hidden], data: weights.r },
      { name: 'b', shape: [1, 8 * hidden], data: weights.b },
    ],
  });
}

/**
 * Reorders PyTorch-layout LSTM weights (gates i, f, g, o stacked on the first axis) into ONNX's
 * (i, o, f, c). `rowsPerGate` is H, `columns` the row width.
 */
export function pytorchToOnnxGates(weights: Float32Array, rowsPerGate: number, columns: number): Float32Array {
  const out = new Float32Array(weights.length);
  const block = rowsPerGate * columns;
  // ONNX gate k takes PyTorch gate order[k]: i←i, o←o, f←f, c←g.
  const order = [0, 3, 1, 2];
  order.forEach((source, target) => out.set(weights.subarray(source * block, (source + 1) * block), target * block));
  return out;
}
