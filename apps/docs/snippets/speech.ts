// Speech: 10 ms frames make long sequences (a 20 s utterance is 2000 frames), and the alignment
// between audio and text is monotonic and local. Local attention fits both.
import { sparseAttention, sparseAttentionCost, slidingWindowPattern } from '@heed/attention';
import { Generator, randn } from '@heed/tensor';

const frames = 2000; // 20 s of audio at 100 frames per second
const generator = new Generator(0);
const features = randn([1, 1, frames, 32], { generator }); // [B, H, T, D]: e.g. projected filterbanks

// Each frame attends to ±25 frames (half a second of context), not to all 2000.
const pattern = slidingWindowPattern({ window: [25, 25] });
const encoded = sparseAttention(features, features, features, { pattern });
const { allowedPairs } = sparseAttentionCost(pattern, frames);
console.log(`encoded [${encoded.shape.join(', ')}]`);
console.log(`pairs scored: ${allowedPairs} instead of ${frames * frames} (${((100 * allowedPairs) / (frames * frames)).toFixed(1)}%)`);

// Output:
// encoded [1, 1, 2000, 32]
// pairs scored: 101350 instead of 4000000 (2.5%)
