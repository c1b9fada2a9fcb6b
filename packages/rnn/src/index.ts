/**
 * `@heed/rnn`: recurrent layers with PyTorch's parameter names, layouts and gate orders (RNN,
 * LSTM, GRU and their cells), variable-length batches, and an attention encoder–decoder.
 *
 * Legend: `T` time steps, `B` batch, `I` input size, `H` hidden size, `S` source length.
 *
 * @packageDocumentation
 */
export { RNNCell, type RNNCellOptions } from './rnn-cell.js';
export { LSTMCell, type LSTMState } from './lstm-cell.js';
export { GRUCell } from './gru-cell.js';
export { RecurrentCellBase, type CellOptions } from './cell-base.js';
export { RNN, type RNNOptions } from './rnn.js';
export { LSTM, type LSTMForwardOptions, type LSTMOptions } from './lstm.js';
export { GRU } from './gru.js';
export { RNNBase, type RecurrentForwardOptions, type RecurrentLayerOptions } from './rnn-base.js';
export { recurrent, parameterName, type RecurrentOptions, type RecurrentResult, type SequenceLengths } from './recurrent.js';
export { recurrentStep, gateCount, type RecurrentMode, type RecurrentState } from './recurrent-step.js';
export type { RecurrentImplementation } from './sweep.js';
export { Seq2Seq, padSequences, type Seq2SeqForwardOptions, type Seq2SeqOptions, type Seq2SeqOutput } from './seq2seq.js';
export {
  AttentionDecoder,
  makeRecurrentLayer,
  type AttentionDecoderOptions,
  type AttentionStyle,
  type DecoderAttentionOptions,
  type DecoderState,
  type DecoderStep,
  type EncodedSource,
  type RecurrentCellKind,
} from './attention-decoder.js';
export { beamSearch, greedySearch, type BeamSearchOptions, type SearchOptions, type SearchTokens, type Seq2SeqHypothesis } from './search.js';
