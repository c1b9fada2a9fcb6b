// Four ways to compute attention over 1024 positions, and what each costs.
import {
  attentionWeightsForRows,
  linearAttention,
  memoryEfficientAttention,
  scaledDotProductAttention,
  slidingWindowPattern,
  sparseAttention,
  sparseAttentionCost,
} from '@heed/attention';
import { Generator, randn, type Tensor } from '@heed/tensor';

const generator = new Generator(0);
const [B, H, L, D] = [1, 2, 1024, 16]; // batch, heads, length, head width
const query = randn([B, H, L, D], { generator });
const key = randn([B, H, L, D], { generator });
const value = randn([B, H, L, D], { generator });
const maxDifference = (a: Tensor, b: Tensor) => a.sub(b).abs().max().item();

// Full attention materialises the [L, L] weights: a million scores per head.
const full = scaledDotProductAttention(query, key, value, { causal: true });

// Memory-efficient (FlashAttention-style) attention: blocks of keys with an online softmax;
// the same result, with O(L) extra memory instead of O(L²).
const { output, logSumExp } = memoryEfficientAttention(query, key, value, { causal: true, returnLogSumExp: true });
console.log(`memory-efficient vs full: max |difference| below 1e-5: ${maxDifference(output, full) < 1e-5}`);

// It can still show the weights of chosen rows, recomputed from the saved log-sum-exp.
const rows = attentionWeightsForRows(query, key, { rows: [0, L - 1], causal: true, logSumExp });
console.log(`weights of two rows: [${rows.shape.join(', ')}], every row sums to 1: ${maxDifference(rows.sum(-1), rows.sum(-1).onesLike()) < 1e-5}`);

// Local (sliding-window) attention: each query sees its 64 predecessors only.
const pattern = slidingWindowPattern({ window: [64, 0] });
const local = sparseAttention(query, key, value, { pattern, causal: true });
const cost = sparseAttentionCost(pattern, L);
console.log(`local attention: [${local.shape.join(', ')}], ${cost.allowedPairs} of ${L * L} query–key pairs`);

// Linear attention (Katharopoulos et al.): φ(q)·(Σ φ(k) vᵀ), never forming the [L, L] matrix.
const linear = linearAttention(query, key, value, { causal: true });
console.log(`linear attention: [${linear.shape.join(', ')}] (an approximation: it is a different model)`);

// Output:
// memory-efficient vs full: max |difference| below 1e-5: true
// weights of two rows: [1, 2, 2, 1024], every row sums to 1: true
// local attention: [1, 2, 1024, 16], 64480 of 1048576 query–key pairs
// linear attention: [1, 2, 1024, 16] (an approximation: it is a different model)
