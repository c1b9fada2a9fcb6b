import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { BackendError, cpuBackend, tensor, withBackend } from '@heed/tensor';
import { backendConformanceCases, runConformanceCase } from '@heed/tensor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extraCases } from '../test/extra-cases.js';
import { lossDifference, trainAttention, trainLstm } from '../test/training.js';
import { createGpuBackend, type GpuBackend, type GpuModeName } from './index.js';

// The synchronous modes that always exist in Node. WebGPU, headless GL and the browser modes
// run the same suite from scripts/test-gpu.mjs, which sets up their drivers.
const modes: GpuModeName[] = ['cpu', 'webasm'];

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
/** Runs the garbage collector and lets the FinalizationRegistry callbacks release device memory. */
async function settle(): Promise<void> {
  for (let round = 0; round < 3; round++) {
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

describe.each(modes)('gpu.js backend, %s mode', (mode) => {
  let backend: GpuBackend;
  beforeAll(async () => {
    backend = await createGpuBackend({ mode });
  });
  afterAll(async () => {
    await backend.destroy();
  });

  it('reports the mode it runs in', () => {
    expect(backend.mode).toBe(mode);
    expect(backend.name).toBe(`gpu.js:${mode}`);
    expect(backend.fallbackReason).toBeNull();
    expect(backend.asynchronous).toBe(false);
  });

  for (const testCase of backendConformanceCases()) {
    it(`matches its reference (oracle or CPU backend): ${testCase.kernel}: ${testCase.name}`, (context) => {
      // A fused kernel this mode does not implement is reported skipped (its callers use the composed path).
      if (testCase.requires && backend.supports?.(testCase.requires) !== true) context.skip();
      expect(runConformanceCase(testCase, backend)).toBeNull();
    });
  }

  it('matches the CPU backend on fused attention over many key tiles, windows, and large index arithmetic', async () => {
    const tiled = await createGpuBackend({ mode, attentionTileElements: 6 });
    for (const extra of extraCases(tiled)) expect([extra.name, await extra.run(backend)]).toEqual([extra.name, null]);
    await tiled.destroy();
  }, 60_000);

  it('reads the same values synchronously and asynchronously, in every dtype', async () => {
    const [x, index, mask] = withBackend(backend, () => [tensor([[1.5, -2], [3, 4]]), tensor([3, -7], { dtype: 'int32' }), tensor([true, false])]);
    expect(Array.from(x.dataSync())).toEqual([1.5, -2, 3, 4]);
    expect(Array.from(await x.data())).toEqual([1.5, -2, 3, 4]);
    expect(index.dataSync()).toBeInstanceOf(Int32Array);
    expect(Array.from(await index.data())).toEqual([3, -7]);
    expect(mask.toArray()).toEqual([true, false]);
  });

  it('trains a small attention model and a small LSTM to the same losses as the CPU backend', async () => {
    expect(lossDifference(await trainAttention(backend), await trainAttention(cpuBackend()))).toBeLessThan(1e-4);
    expect(lossDifference(await trainLstm(backend), await trainLstm(cpuBackend()))).toBeLessThan(1e-4);
  }, 60_000);

  it('compiles one kernel per op and rank, not per shape', () => {
    withBackend(backend, () => tensor([[1, 2, 3]]).add(tensor([[4, 5, 6]])).dataSync());
    const compiled = backend.memory().compiledKernels;
    withBackend(backend, () => tensor([[1, 2], [3, 4], [5, 6]]).add(tensor([[7, 8], [9, 10], [11, 12]])).dataSync());
    expect(backend.memory().compiledKernels).toBe(compiled);
  });

  it('frees device memory on dispose, and refuses to use a disposed tensor', () => {
    const before = backend.memory().liveHandles;
    const x = withBackend(backend, () => tensor([1, 2, 3]));
    expect(backend.memory().liveHandles).toBe(before + 1);
    x.dispose();
    expect(backend.memory().liveHandles).toBe(before);
    expect(() => x.exp()).toThrow(BackendError);
  });

  it('does not grow device memory over a training loop (memory probe)', async () => {
    const live: number[] = [];
    await trainLstm(backend, 24, async () => {
      await settle();
      live.push(backend.memory().liveHandles);
    });
    // After warm-up every step frees what it allocates; allow a little slack for the collector.
    expect(live[23] - live[5]).toBeLessThanOrEqual(8);
  }, 60_000);
});

describe('mode selection', () => {
  it('throws a BackendError naming the reason when a requested mode is unavailable', async () => {
    await expect(createGpuBackend({ mode: 'webgl2' })).rejects.toThrow(/webgl2 is unavailable: webgl2 runs only in browsers/);
    await expect(createGpuBackend({ mode: 'webgl2' })).rejects.toBeInstanceOf(BackendError);
  });

  it('rejects an unknown mode', async () => {
    await expect(createGpuBackend({ mode: 'cuda' as GpuModeName })).rejects.toThrow(/unknown mode "cuda"/);
  });

  it('falls back when asked to, and says why', async () => {
    const backend = await createGpuBackend({ mode: 'webgl', fallback: true, synchronous: true });
    expect(backend.requestedMode).toBe('webgl');
    expect(backend.mode).not.toBe('webgl');
    expect(backend.fallbackReason).toMatch(/^webgl: webgl runs only in browsers/);
    await backend.destroy();
  });

  it('auto with synchronous: true picks a mode that reads synchronously', async () => {
    const backend = await createGpuBackend({ synchronous: true });
    expect(['headlessgl', 'webasm', 'cpu']).toContain(backend.mode);
    expect(typeof backend.readSync).toBe('function');
    await backend.destroy();
  });
});
