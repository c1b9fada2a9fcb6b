/**
 * The CPU targets of issues 8 and 16 (issue 16's where it tightened one), computed from the peers rows of this run: never typed in. A target
 * whose rows are missing (a peer unavailable, a workload skipped) is `met: null` with the reason.
 */
import type { PeerRow, TargetCheck } from '../results.js';

function best(rows: PeerRow[], workload: string, library: string | ((name: string) => boolean), variant?: string): PeerRow | null {
  const matches = rows.filter(
    (row) =>
      row.workload === workload &&
      row.medianMs !== null &&
      (typeof library === 'string' ? row.library === library : library(row.library)) &&
      (variant === undefined || row.variant === variant),
  );
  if (matches.length === 0) return null;
  return matches.reduce((a, b) => ((a.medianMs ?? Infinity) <= (b.medianMs ?? Infinity) ? a : b));
}

function label(row: PeerRow): string {
  return row.variant ? `${row.library} (${row.variant})` : row.library;
}

const isTfjs = (name: string): boolean => name.startsWith('tfjs');

/**
 * Builds the target checks. `workloadName` maps a kind (`matmul`, `attention`, `lstm`,
 * `lstm-batch1`, `train-lstm`, `train-attention`) to this run's workload name.
 */
export function targetChecks(rows: PeerRow[], workloadName: (kind: string) => string | null): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const ratio = (
    id: string,
    description: string,
    kind: string,
    heedVariant: string | undefined,
    peer: string | ((name: string) => boolean),
    target: number,
    mode: 'speedup' | 'within',
  ): void => {
    const workload = workloadName(kind);
    const heed = workload ? best(rows, workload, 'heed', heedVariant) : null;
    const other = workload ? best(rows, workload, peer) : null;
    if (!workload || !heed || !other || heed.medianMs === null || other.medianMs === null) {
      checks.push({ id, description, measured: null, target, direction: mode === 'speedup' ? '>=' : '<=', unit: '×', met: null, detail: `not measured in this run${workload ? '' : ' (workload not run)'}` });
      return;
    }
    // speed-up: how many times faster heed is; within: how many times slower heed is (≤ target passes).
    const measured = mode === 'speedup' ? other.medianMs / heed.medianMs : heed.medianMs / other.medianMs;
    const met = mode === 'speedup' ? measured >= target : measured <= target;
    checks.push({
      id,
      description,
      measured,
      target,
      direction: mode === 'speedup' ? '>=' : '<=',
      unit: '×',
      met,
      detail: `${label(heed)} ${heed.medianMs.toFixed(1)} ms vs ${label(other)} ${other.medianMs.toFixed(1)} ms`,
    });
  };

  const matmul = workloadName('matmul');
  const heedMatmul = matmul ? best(rows, matmul, 'heed') : null;
  if (heedMatmul?.flops && heedMatmul.medianMs) {
    const gflops = heedMatmul.flops / (heedMatmul.medianMs * 1e6);
    checks.push({ id: 'matmul-gflops', description: 'matmul: heed GFLOP/s', measured: gflops, target: 40, direction: '>=', unit: 'GFLOP/s', met: gflops >= 40, detail: `${matmul}, ${heedMatmul.medianMs.toFixed(1)} ms` });
  } else {
    checks.push({ id: 'matmul-gflops', description: 'matmul: heed GFLOP/s', measured: null, target: 40, direction: '>=', unit: 'GFLOP/s', met: null, detail: 'not measured in this run' });
  }
  ratio('matmul-vs-tfjs-wasm', 'matmul: heed speed-up over TF.js wasm', 'matmul', undefined, 'tfjs-wasm', 2, 'speedup');
  ratio('matmul-vs-jax', 'matmul: heed speed-up over jax-js wasm', 'matmul', undefined, 'jax-js', 2, 'speedup');
  ratio('matmul-vs-ort', 'matmul: heed speed as a fraction of onnxruntime-node', 'matmul', undefined, 'onnxruntime-node', 1 / 3, 'speedup');
  ratio('attention-vs-ort', 'attention (memory-efficient): heed time / onnxruntime-node time', 'attention', 'memory-efficient', 'onnxruntime-node', 3, 'within');
  ratio('attention-vs-tfjs-wasm', 'attention (memory-efficient): heed speed-up over TF.js wasm', 'attention', 'memory-efficient', 'tfjs-wasm', 10, 'speedup');
  ratio('lstm-vs-ort', 'LSTM batch 16: heed time / onnxruntime-node time', 'lstm', undefined, 'onnxruntime-node', 3, 'within');
  ratio('lstm-vs-tfjs', 'LSTM batch 16: heed speed-up over the faster TF.js backend', 'lstm', undefined, isTfjs, 20, 'speedup');
  ratio('lstm1-vs-ort', 'LSTM batch 1: heed time / onnxruntime-node time', 'lstm-batch1', undefined, 'onnxruntime-node', 3, 'within');
  ratio('lstm1-vs-tfjs', 'LSTM batch 1: heed speed-up over the faster TF.js backend', 'lstm-batch1', undefined, isTfjs, 20, 'speedup');
  ratio('train-lstm-vs-tfjs', 'LSTM training step: heed speed-up over the faster TF.js backend', 'train-lstm', undefined, isTfjs, 5, 'speedup');
  ratio('train-attention-vs-tfjs', 'attention training step: heed speed-up over the faster TF.js backend', 'train-attention', undefined, isTfjs, 5, 'speedup');
  return checks;
}
