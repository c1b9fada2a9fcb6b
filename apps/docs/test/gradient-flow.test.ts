// The gradient-flow demo's computation shows what the guide claims: recurrent gradients shrink
// with distance from the loss, attention's do not.
import { describe, expect, it } from 'vitest';
import { computeGradientFlow, gradientFlowModels } from '../.vitepress/theme/demos/gradient-flow.js';

describe('computeGradientFlow', () => {
  const { norms } = computeGradientFlow({ length: 40 });

  it('measures one finite norm per position for every model', () => {
    for (const model of gradientFlowModels) {
      expect(norms[model]).toHaveLength(40);
      for (const norm of norms[model]) expect(Number.isFinite(norm)).toBe(true);
    }
  });

  it('recurrent gradients vanish with distance, attention gradients do not', () => {
    for (const model of ['RNN', 'LSTM', 'GRU'] as const) {
      const series = norms[model];
      expect((series[0] ?? 0) / (series[39] ?? 1)).toBeLessThan(1e-3);
    }
    const attention = norms.attention;
    // Every earlier position keeps a gradient within two orders of magnitude of the last one.
    for (const norm of attention.slice(0, 39)) expect(norm).toBeGreaterThan((attention[39] ?? 0) / 100);
  });

  it('depends only on the seed', () => {
    expect(computeGradientFlow({ length: 8, seed: 3 }).norms).toEqual(computeGradientFlow({ length: 8, seed: 3 }).norms);
  });
});
