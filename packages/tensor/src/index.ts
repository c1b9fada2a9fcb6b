/**
 * `@heed/tensor`: Float32 tensors with reverse-mode autograd, modules, optimizers, losses,
 * seeded randomness, safetensors I/O, text vocabularies, and the backend interface with its CPU
 * backend.
 *
 * Dimension legend used throughout heed's docs: `B` batch, `L` query length, `S` key length,
 * `H` heads, `D` model or head dim, `T` time steps.
 *
 * @packageDocumentation
 */
export { Tensor, type NestedArray } from './tensor.js';
export { HeedError, ShapeError, DTypeError, ValueError, BackendError, GradientError, FormatError, formatShape } from './errors.js';
export {
  broadcastShapes,
  broadcastStrides,
  contiguousStrides,
  inferShape,
  normalizeAxis,
  sameShape,
  sizeOf,
  type Shape,
} from './shape.js';
export type {
  Backend,
  DType,
  DataArray,
  DTypeArrays,
  View,
  Kernels,
  KernelName,
  FusedKernels,
  FusedKernelName,
  RecurrentSweepArgs,
  RecurrentSweepBackwardArgs,
  UnaryOp,
  BinaryOp,
  ArithmeticOp,
  CompareOp,
  LogicalOp,
  ReduceOp,
} from './backend.js';
export { getBackend, setBackend, withBackend } from './backend-registry.js';
export { cpuBackend, createCpuBackend, type CpuBackend, type CpuBackendInfo, type CpuBackendOptions } from './cpu/cpu-backend.js';
export type { WasmFeatures } from './wasm/features.js';
export {
  backward,
  isGradEnabled,
  noGrad,
  nonDifferentiable,
  record,
  withGradEnabled,
  type BackwardOptions,
  type GradNode,
  type GradRule,
  type NonDifferentiable,
} from './autograd.js';
export { gradRules, isDifferentiable, opNames } from './ops/grad-rules.js';
export type { GradRules, OpGradRule, OpName, OpSaved } from './ops/op-set.js';
export { arange, eye, full, fullLike, linspace, ones, onesLike, scalar, tensor, zeros, zerosLike, type CreationOptions } from './ops/creation.js';
export {
  abs,
  add,
  clamp,
  cos,
  div,
  elu,
  eq,
  erf,
  exp,
  ge,
  gelu,
  gt,
  le,
  log,
  logicalAnd,
  logicalNot,
  logicalOr,
  lt,
  maskedFill,
  maximum,
  minimum,
  mul,
  ne,
  neg,
  pow,
  reciprocal,
  relu,
  sigmoid,
  sign,
  sin,
  softplus,
  sqrt,
  sub,
  tanh,
  where,
  type Operand,
} from './ops/elementwise.js';
export { argmax, argmin, logSumExp, max, mean, min, sum, sumToShape, variance } from './ops/reduce.js';
export { matmul } from './ops/matmul.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { flashAttention, type FlashAttentionOptions, type FlashAttentionResult } from './ops/flash-attention.js';
export { attentionKeepForRows, type AttentionKeepRule } from './ops/flash-attention-blocks.js';
export {
  broadcastTo,
  cast,
  chunk,
  clone,
  concat,
  contiguous,
  expand,
  flatten,
  narrow,
  pad,
  permute,
  reshape,
  slice,
  split,
  squeeze,
  stack,
  transpose,
  unsqueeze,
} from './ops/movement.js';
export { embedding, gather, indexSelect, oneHot, scatterAdd } from './ops/indexing.js';
export { runKernel, backendOf } from './ops/kernel.js';
export { dropout, layerNorm, linear } from './nn/functional.js';
export { Module, ModuleList } from './nn/module.js';
export { Dropout, Embedding, LayerNorm, Linear, type LayerOptions } from './nn/layers.js';
export * as init from './nn/init.js';
export { Optimizer } from './optim/optimizer.js';
export { SGD, type SGDOptions } from './optim/sgd.js';
export { Adam, AdamW, type AdamOptions } from './optim/adam.js';
export { clipGradNorm } from './optim/clip-grad-norm.js';
export { crossEntropy, mseLoss, type CrossEntropyOptions, type Reduction } from './losses.js';
export { Generator, getDefaultGenerator, manualSeed, normal, rand, randint, randn, randperm, uniform, type RandomOptions } from './random.js';
export { loadSafetensors, saveSafetensors } from './safetensors.js';
export {
  gruSequence,
  lstmSequence,
  rnnSequence,
  type LstmSequenceOptions,
  type LstmSequenceResult,
  type RecurrentSequenceOptions,
  type RecurrentSequenceResult,
  type RnnSequenceOptions,
} from './ops/recurrent-sequence.js';
export { recurrentCellStep, type RecurrentCellState, type SequenceCell } from './ops/recurrent-sequence-composed.js';
export { tokenize, type TokenLevel } from './text/tokenize.js';
export {
  Vocabulary,
  type BatchOptions,
  type DecodeOptions,
  type EncodedBatch,
  type EncodeOptions,
  type SpecialTokens,
  type VocabularyFromTextOptions,
  type VocabularyJSON,
  type VocabularyOptions,
} from './text/vocabulary.js';
