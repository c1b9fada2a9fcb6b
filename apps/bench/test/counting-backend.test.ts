import { Generator, cpuBackend, matmul, randn, setBackend, getBackend, tensor } from '@heed/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import { countingBackend } from '../src/backends/counting-backend.js';
import { SPEED_MODEL_NAMES, buildSpeedModel, speedLoss } from '../src/models/speed-models.js';

describe('countingBackend', () => {
  const previous = getBackend();
  afterEach(() => setBackend(previous));

  it('counts the bytes of kernel results and passes results through unchanged', () => {
    const counted = countingBackend(cpuBackend());
    setBackend(counted.backend);
    const a = tensor([[1, 2], [3, 4]]);
    const b = tensor([[5, 6], [7, 8]]);
    counted.reset();
    const product = matmul(a, b);
    expect(product.toArray()).toEqual([[19, 22], [43, 50]]);
    expect(counted.bytes()).toBeGreaterThanOrEqual(4 * 4);
    expect(counted.backend.name).toBe('cpu');
  });

  it('runs every speed model forward and backward on the counted backend; full attention allocates quadratically', () => {
    const counted = countingBackend(cpuBackend());
    setBackend(counted.backend);
    const allocation: Record<string, number[]> = {};
    for (const name of SPEED_MODEL_NAMES) {
      const model = buildSpeedModel(name, { width: 8, window: 4, generator: new Generator(1) });
      allocation[name] = [64, 256].map((length) => {
        const input = randn([1, length, 8], { generator: new Generator(2) });
        counted.reset();
        const loss = speedLoss(model.forward(input));
        loss.backward();
        expect(Number.isFinite(loss.item())).toBe(true);
        return counted.bytes();
      });
    }
    const [short, long] = allocation['full attention'];
    // A quadratic grows 16× from 64 to 256; the linear terms (projections) keep it a little lower.
    expect(long / short).toBeGreaterThan(8);
  });
});
