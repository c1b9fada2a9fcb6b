import { afterAll, describe, expect, it } from 'vitest';
import { presetConfig } from '../src/config.js';
import { jaxPeer, newerNodeBinary } from '../src/peers/jax-peer.js';
import { nodeMajor } from '../src/peers/jax-workloads.js';
import type { PreparedRun } from '../src/peers/peer.js';
import { buildWorkloads, maxRelativeDifference, type Workload } from '../src/peers/workloads.js';

const config = presetConfig('quick').peers;
Object.assign(config, { matmulSize: 48, attentionLength: 40, attentionDepth: 8, training: { length: 12, batch: 2, width: 8 } });
const workloads = buildWorkloads(config, 7);
const workload = (kind: string): Workload => workloads.find((entry) => entry.kind === kind)!;
const peer = jaxPeer();
afterAll(() => peer.close?.());

async function runOnce(kind: string): Promise<{ runs: PreparedRun[]; output: Float32Array | null }> {
  const runs = await peer.prepare(workload(kind));
  if (typeof runs === 'string') throw new Error(runs);
  return { runs, output: await runs[0].run() };
}

function naiveMatmul(a: Float32Array, b: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) out[i * n + j] += a[i * n + k] * b[k * n + j];
  return out;
}

function naiveAttention(query: Float32Array, key: Float32Array, value: Float32Array, length: number, depth: number): Float32Array {
  const out = new Float32Array(length * depth);
  for (let i = 0; i < length; i++) {
    const scores = Array.from({ length }, (_, j) => {
      let dot = 0;
      for (let d = 0; d < depth; d++) dot += query[i * depth + d] * key[j * depth + d];
      return dot / Math.sqrt(depth);
    });
    const top = Math.max(...scores);
    const weights = scores.map((score) => Math.exp(score - top));
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    for (let j = 0; j < length; j++) for (let d = 0; d < depth; d++) out[i * depth + d] += (weights[j] / total) * value[j * depth + d];
  }
  return out;
}

describe('jax-js peer', () => {
  it('computes the matmul on this Node', async () => {
    await peer.load();
    const { runs, output } = await runOnce('matmul');
    const { a, b, size } = workload('matmul').matmul!;
    expect(runs[0].variant).toContain(`Node ${process.versions.node}`);
    expect(maxRelativeDifference(naiveMatmul(a, b, size), output!)).toBeLessThan(1e-5);
  });

  it('runs attention on Node 22 (a child process when this Node is older), or says why not', async () => {
    const attention = workload('attention').attention!;
    if (nodeMajor() < 22 && !newerNodeBinary()) {
      expect(await peer.prepare(workload('attention'))).toMatch(/needs Node ≥ 22/);
      return;
    }
    const { runs, output } = await runOnce('attention');
    expect(runs[0].variant).toMatch(/Node 2[2-9]|Node [3-9]\d/);
    expect(maxRelativeDifference(naiveAttention(attention.query, attention.key, attention.value, attention.length, attention.depth), output!)).toBeLessThan(1e-5);
    // Later calls skip sending the output back.
    expect(await runs[0].run()).toBeNull();
  }, 60_000);

  it('takes Adam steps that lower the training loss', async () => {
    if (nodeMajor() < 22 && !newerNodeBinary()) return;
    const { runs, output } = await runOnce('train-attention');
    let loss = output![0];
    expect(loss).toBeGreaterThan(0);
    for (let step = 0; step < 5; step++) {
      const next = (await runs[0].run())!;
      expect(next[0]).toBeLessThan(loss);
      loss = next[0];
    }
  }, 60_000);

  it('says why it has no LSTM', async () => {
    expect(await peer.prepare(workload('lstm'))).toMatch(/no LSTM layer/);
  });
});
