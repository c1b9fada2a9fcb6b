import { describe, expect, it } from 'vitest';
import { targetChecks } from '../src/peers/targets.js';
import type { PeerRow } from '../src/results.js';
import { speedups } from '../src/suites/peers.js';

const row = (workload: string, library: string, variant: string, medianMs: number | null, flops?: number): PeerRow => ({
  workload,
  library,
  variant,
  medianMs,
  samplesMs: medianMs === null ? [] : [medianMs],
  ...(flops ? { flops } : {}),
});

describe('peer ratios', () => {
  const rows: PeerRow[] = [
    row('mm', 'heed', 'cpu', 50, 2 * 1024 ** 3),
    row('mm', 'tfjs-wasm', 'wasm', 100),
    row('mm', 'onnxruntime-node', 'native', 10),
    row('mm', 'jax-js', 'wasm, Node 20', 75),
    row('att', 'heed', 'memory-efficient', 200),
    row('att', 'heed', 'full (sdpa)', 100),
    row('att', 'onnxruntime-node', 'graph', 100),
    row('att', 'onnxruntime-node', 'fused', 50),
    row('att', 'tfjs-wasm', 'wasm', 2500),
    row('lstm', 'heed', 'cpu', 10),
    row('lstm', 'tfjs-cpu', 'cpu', 150),
    row('lstm', 'tfjs-wasm', 'wasm', 300),
    row('lstm', 'onnxruntime-node', 'native', null),
  ];
  const names: Record<string, string> = { matmul: 'mm', attention: 'att', lstm: 'lstm' };
  const checks = Object.fromEntries(targetChecks(rows, (kind) => names[kind] ?? null).map((check) => [check.id, check]));

  it('computes speed-ups against heed\'s fastest variant', () => {
    const ratios = speedups(rows);
    expect(ratios.find((ratio) => ratio.workload === 'att' && ratio.peer === 'tfjs-wasm (wasm)')?.speedup).toBe(25);
    expect(ratios.filter((ratio) => ratio.peer.startsWith('heed'))).toHaveLength(0);
  });

  it('derives issue 8 targets from the rows, never from constants', () => {
    expect(checks['matmul-gflops'].measured).toBeCloseTo((2 * 1024 ** 3) / (50 * 1e6));
    expect(checks['matmul-vs-tfjs-wasm']).toMatchObject({ measured: 2, met: true });
    expect(checks['matmul-vs-jax']).toMatchObject({ measured: 1.5, met: false });
    expect(checks['matmul-vs-ort']).toMatchObject({ measured: 0.2, met: false });
    // The attention target uses the memory-efficient variant and the faster ORT variant.
    expect(checks['attention-vs-ort']).toMatchObject({ measured: 4, met: false });
    expect(checks['attention-vs-tfjs-wasm']).toMatchObject({ measured: 12.5, met: true });
    // "TF.js" means its faster backend.
    expect(checks['lstm-vs-tfjs']).toMatchObject({ measured: 15, met: false });
    expect(checks['lstm-vs-ort']).toMatchObject({ measured: null, met: null });
    expect(checks['train-lstm-vs-tfjs'].detail).toMatch(/not measured/);
  });
});
