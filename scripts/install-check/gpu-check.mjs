// What a user does after `npm install @heed/gpu` (with @heed/tensor, its peer): create the
// backend in `webasm` mode, which needs no native module, and compute a matmul and softmax
// attention on it, checked against reference-math.mjs. Runs in Node and, bundled, in the browser.
import { createGpuBackend } from '@heed/gpu';
import { tensor, withBackend } from '@heed/tensor';
import { attention, compare, filled, matmul, numbers } from './reference-math.mjs';

export async function run() {
  const next = numbers(7);
  const backend = await createGpuBackend({ mode: 'webasm' });
  try {
    const a = filled([9, 7], next);
    const b = filled([7, 5], next);
    const [q, k, v] = [filled([1, 2, 4, 8], next), filled([1, 2, 6, 8], next), filled([1, 2, 6, 3], next)];
    const [product, attended] = withBackend(backend, () => [
      tensor(a).matmul(tensor(b)),
      tensor(q)
        .matmul(tensor(k).transpose(-2, -1))
        .mul(1 / Math.sqrt(8))
        .softmax(-1)
        .matmul(tensor(v)),
    ]);
    return [
      { name: `backend mode`, ok: backend.mode === 'webasm', detail: `${backend.mode}${backend.fallbackReason ? ` (${backend.fallbackReason})` : ''}` },
      compare('matmul [9, 7] · [7, 5] on webasm', await product.data(), matmul(a, b)),
      compare('softmax(q kᵀ / √D) v on webasm', await attended.data(), attention(q, k, v, false)),
    ];
  } finally {
    await backend.destroy();
  }
}
