/**
 * Results from the literature, quoted (never measured here) so a reader can set this run's
 * figures beside them. Every entry names its source; numbers are copied from the cited table,
 * and findings we could not pin to a number are stated without one.
 */

/** A quoted table or finding. */
export interface PublishedResult {
  id: string;
  title: string;
  citation: string;
  url: string;
  /** `table`: rows of figures as published; `finding`: a sentence summarising the paper's claim. */
  kind: 'table' | 'finding';
  columns?: string[];
  rows?: (string | number)[][];
  text?: string;
  /** How it relates to what this app measures. */
  relevance: string;
}

/** Long Range Arena, Table 1 (accuracy %, Path-X: every model failed; Avg excludes Path-X). */
const longRangeArena: PublishedResult = {
  id: 'lra',
  title: 'Long Range Arena (accuracy %, sequences of 1K–16K tokens)',
  citation: 'Tay, Dehghani, Abnar, Shen, Bahri, Pham, Rao, Yang, Ruder & Metzler, "Long Range Arena: A Benchmark for Efficient Transformers", ICLR 2021, Table 1',
  url: 'https://arxiv.org/abs/2011.04006',
  kind: 'table',
  columns: ['Model', 'ListOps', 'Text', 'Retrieval', 'Image', 'Pathfinder', 'Path-X', 'Avg'],
  rows: [
    ['Transformer', 36.37, 64.27, 57.46, 42.44, 71.4, 'FAIL', 54.39],
    ['Local Attention', 15.82, 52.98, 53.39, 41.46, 66.63, 'FAIL', 46.06],
    ['Sparse Trans.', 17.07, 63.58, 59.59, 44.24, 71.71, 'FAIL', 51.24],
    ['Longformer', 35.63, 62.85, 56.89, 42.22, 69.71, 'FAIL', 53.46],
    ['Linformer', 35.7, 53.94, 52.27, 38.56, 76.34, 'FAIL', 51.36],
    ['Reformer', 37.27, 56.1, 53.4, 38.07, 68.5, 'FAIL', 50.67],
    ['Sinkhorn Trans.', 33.67, 61.2, 53.83, 41.23, 67.45, 'FAIL', 51.39],
    ['Synthesizer', 36.99, 61.68, 54.67, 41.61, 69.45, 'FAIL', 52.88],
    ['BigBird', 36.05, 64.02, 59.29, 40.83, 74.87, 'FAIL', 55.01],
    ['Linear Trans.', 16.13, 65.9, 53.09, 42.34, 75.3, 'FAIL', 50.55],
    ['Performer', 18.01, 65.4, 53.82, 42.77, 77.05, 'FAIL', 51.41],
  ],
  relevance:
    'Full attention, local-window (Local Attention) and linear attention (Linear Trans.) are the three attention families the speed suite times; LRA shows the efficient variants do not simply match full attention in accuracy.',
};

const selectiveCopying: PublishedResult = {
  id: 'mamba-selective-copying',
  title: 'Selective copying (accuracy %, 2-layer models)',
  citation: 'Gu & Dao, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces", 2023, Table 1',
  url: 'https://arxiv.org/abs/2312.00752',
  kind: 'table',
  columns: ['Model (architecture / layer)', 'Accuracy %'],
  rows: [
    ['S4 (no gate / S4)', 18.3],
    ['No gate / S6', 97.0],
    ['H3 (H3 / S4)', 57.0],
    ['Mamba (Mamba / S6)', 99.8],
  ],
  relevance: 'Our selective copying task follows this one at much smaller scale (fewer tokens, shorter sequences, far fewer steps).',
};

const complexity: PublishedResult = {
  id: 'attention-is-all-you-need-complexity',
  title: 'Per-layer cost of self-attention vs recurrence',
  citation: 'Vaswani et al., "Attention Is All You Need", NeurIPS 2017, Table 1',
  url: 'https://arxiv.org/abs/1706.03762',
  kind: 'table',
  columns: ['Layer type', 'Complexity per layer', 'Sequential operations', 'Maximum path length'],
  rows: [
    ['Self-attention', 'O(n²·d)', 'O(1)', 'O(1)'],
    ['Recurrent', 'O(n·d²)', 'O(n)', 'O(n)'],
    ['Self-attention (restricted to r neighbours)', 'O(r·n·d)', 'O(1)', 'O(n/r)'],
  ],
  relevance:
    'The speed suite fits these exponents: about 2 for full attention and 1 for recurrent and local-window layers. The path lengths are what the gradient-flow suite draws.',
};

const findings: PublishedResult[] = [
  {
    id: 'copy-task-rnns',
    title: 'Copy task: gated RNNs stall at the memoryless baseline on long delays',
    citation: 'Arjovsky, Shah & Bengio, "Unitary Evolution Recurrent Neural Networks", ICML 2016',
    url: 'https://arxiv.org/abs/1511.06464',
    kind: 'finding',
    text: 'On the copying problem the LSTM and a tanh RNN failed to get below the memoryless baseline as the delay grew, while the unitary RNN learned the task; the paper defines the memoryless baseline (cross-entropy 10·log 8 / (T + 20)) this app computes for its copy task.',
    relevance: 'The learning suite reports the same memoryless baseline next to each model.',
  },
  {
    id: 'mqar-zoology',
    title: 'Multi-query associative recall separates attention from fixed-state models',
    citation: 'Arora, Eyuboglu, Timalsina, Johnson, Poli, Zou, Rudra & Ré, "Zoology: Measuring and Improving Recall in Efficient Language Models", 2023',
    url: 'https://arxiv.org/abs/2312.04927',
    kind: 'finding',
    text: 'Attention solves MQAR across the sequence lengths and model widths tested, while gated-convolution and other fixed-state models need a model width that grows with the sequence length; the paper attributes most of the language-modelling quality gap between them to associative recall.',
    relevance: 'The learning suite runs a small multi-query recall task (one token per pair) for RNN, LSTM, GRU and attention.',
  },
  {
    id: 'vanishing-gradients',
    title: 'Gradients through long recurrences vanish (or explode)',
    citation: 'Bengio, Simard & Frasconi, "Learning Long-Term Dependencies with Gradient Descent is Difficult", IEEE Trans. Neural Networks 1994; Pascanu, Mikolov & Bengio, "On the difficulty of training recurrent neural networks", ICML 2013',
    url: 'https://arxiv.org/abs/1211.5063',
    kind: 'finding',
    text: 'The gradient of a late loss with respect to an early input is a product of one Jacobian per step, so it shrinks (or grows) exponentially with the distance; gating (LSTM, GRU) slows the decay, attention removes the product by connecting every position directly.',
    relevance: 'The gradient-flow suite measures exactly this norm against distance.',
  },
  {
    id: 'memory-efficient-attention',
    title: 'Attention does not need quadratic memory',
    citation: 'Rabe & Staats, "Self-attention Does Not Need O(n²) Memory", 2021; Dao, Fu, Ermon, Rudra & Ré, "FlashAttention", NeurIPS 2022',
    url: 'https://arxiv.org/abs/2112.05682',
    kind: 'finding',
    text: 'Processing keys in chunks with a running (online) softmax gives exact attention with memory linear in the sequence length (Rabe & Staats also give an O(log n) variant); FlashAttention does the same in GPU on-chip memory, recomputing in the backward pass.',
    relevance: 'The speed suite\'s memory-efficient attention uses this algorithm; its memory exponent should be about 1, full attention\'s about 2.',
  },
  {
    id: 'linear-attention',
    title: 'Linear attention is a recurrence',
    citation: 'Katharopoulos, Vyas, Pappas & Fleuret, "Transformers are RNNs: Fast Autoregressive Transformers with Linear Attention", ICML 2020',
    url: 'https://arxiv.org/abs/2006.16236',
    kind: 'finding',
    text: 'Replacing softmax with a kernel feature map makes attention O(N) in time and memory and lets causal attention run as an RNN; the authors report up to 4000× faster autoregressive prediction on very long sequences.',
    relevance: 'The speed suite times linear attention beside the recurrent and softmax models.',
  },
];

/** Everything the report quotes, in the order it shows them. */
export function publishedResults(): PublishedResult[] {
  return [longRangeArena, complexity, selectiveCopying, ...findings];
}
