// The backend switch's runner, on the backends Node has: the JavaScript and WebAssembly CPU
// backends and gpu.js's CPU mode agree with each other; an impossible backend reports why.
import { describe, expect, it } from 'vitest';
import { backendCandidates, runOnBackend, type BackendCandidate } from '../.vitepress/theme/demos/backends.js';

const workload = { length: 16, width: 8, heads: 2, repeats: 1 };
const candidate = (id: string): BackendCandidate => {
  const found = backendCandidates.find((c) => c.id === id);
  if (!found) throw new Error(`no candidate ${id}`);
  return found;
};

describe('runOnBackend', () => {
  it('runs on the CPU backends and gpu.js CPU mode with the same result', async () => {
    const reference = await runOnBackend(candidate('cpu-js'), workload, null);
    expect(reference.available).toBe(true);
    expect(reference.output).toHaveLength(2 * 16 * 8);
    for (const id of ['cpu-wasm', 'gpu-cpu']) {
      const run = await runOnBackend(candidate(id), workload, reference.output);
      if (!run.available) throw new Error(`${id} unavailable: ${run.detail}`);
      expect(run.milliseconds).toBeGreaterThan(0);
      expect(run.maxDifference).toBeLessThan(1e-4);
    }
  }, 60_000);

  it('reports a backend that cannot start as unavailable, with the reason', async () => {
    const broken: BackendCandidate = { id: 'broken', label: 'broken', start: () => Promise.reject(new Error('no adapter')) };
    const run = await runOnBackend(broken, workload, null);
    expect(run).toMatchObject({ available: false, detail: 'no adapter', milliseconds: null });
  });
});
