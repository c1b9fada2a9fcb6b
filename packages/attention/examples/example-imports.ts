// The examples import heed through the published package names, like any user would; this
// package's own API comes from its source.
export {
  Adam,
  AdamW,
  Embedding,
  Generator,
  LayerNorm,
  Linear,
  Module,
  ShapeError,
  ValueError,
  Vocabulary,
  clipGradNorm,
  crossEntropy,
  dropout,
  linear,
  loadSafetensors,
  manualSeed,
  noGrad,
  normal,
  saveSafetensors,
  tensor,
  type Tensor,
} from '@heed/tensor';
export { KeyValueCache, LearnedPositionalEmbedding, TransformerEncoder, TransformerEncoderLayer } from '../src/index.js';
