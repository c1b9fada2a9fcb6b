import { tensor, withBackend } from '@heed/tensor';
import { describe, expect, it } from 'vitest';
import { createGpuBackend } from './index.js';

describe('casts on the device', () => {
  it.each(['cpu', 'webasm'] as const)('%s: float → int32 truncates toward zero and float → bool treats NaN as false, like the CPU backend', async (mode) => {
    const backend = await createGpuBackend({ mode });
    const values = [2.7, -2.7, 0, NaN, -0.5];
    const [asInt, asBool] = withBackend(backend, () => {
      const x = tensor(values);
      return [x.int(), x.bool()];
    });
    expect(Array.from(asInt.dataSync())).toEqual([2, -2, 0, 0, 0]);
    expect(asBool.toArray()).toEqual([true, true, false, false, true]);
    await backend.destroy();
  });
});
