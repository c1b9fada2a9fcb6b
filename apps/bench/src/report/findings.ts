/**
 * What the literature expects, checked against what this run measured. Each finding states the
 * expectation, the measured figure, and whether they agree; a disagreement is reported as such
 * (with the likely reason where one is known), never smoothed over.
 */
import { formatNumber } from '../cli/table.js';
import type { BenchResults, SpeedResults } from '../results.js';

/** One expectation checked against the run. `agrees: null` when the run lacks the data. */
export interface Finding {
  topic: string;
  expectation: string;
  measured: string;
  agrees: boolean | null;
  comment?: string;
}

function speedFindings(speed: SpeedResults): Finding[] {
  const findings: Finding[] = [];
  const lengths = speed.lengths.length ? `${Math.min(...speed.lengths)}–${Math.max(...speed.lengths)}` : '—';
  const check = (model: string, figure: 'time' | 'memory' | 'allocated', low: number, high: number, expectation: string, topic: string): void => {
    const fit = speed.fits.find((entry) => entry.backend === 'cpu' && entry.model === model && entry.mode === 'forward' && entry.figure === figure);
    if (!fit) return;
    const measured = `${model} forward ${figure} ∝ n^${formatNumber(fit.exponent, 2)} (lengths ${lengths}, r² = ${formatNumber(fit.r2, 2)})`;
    if (fit.r2 < 0.8) {
      findings.push({ topic, expectation, measured, agrees: null, comment: 'Inconclusive: the points do not follow a power law (r² < 0.8), usually timing noise from other processes.' });
      return;
    }
    const agrees = fit.exponent >= low && fit.exponent <= high;
    findings.push({
      topic,
      expectation,
      measured,
      agrees,
      comment: agrees
        ? undefined
        : fit.exponent < low
          ? 'Flatter than expected: at these lengths fixed per-call costs still dominate (larger lengths, --full, approach the asymptote), or timing noise.'
          : 'Steeper than expected: extra work that grows faster than the algorithm needs, memory pressure at the largest size, or timing noise.',
    });
  };
  check('full attention', 'time', 1.6, 2.3, 'Full softmax attention does O(n²) work: time exponent ≈ 2', 'Speed');
  check('lstm', 'time', 0.8, 1.3, 'A recurrent layer does O(n) work (sequentially): time exponent ≈ 1', 'Speed');
  check('local window', 'time', 0.8, 1.3, 'Local-window attention does O(n·w) work: time exponent ≈ 1', 'Speed');
  check('linear attention', 'time', 0.8, 1.3, 'Linear attention does O(n) work: time exponent ≈ 1', 'Speed');
  check('full attention', 'memory', 1.5, 2.3, 'Full attention materialises the n×n weights: memory exponent ≈ 2', 'Memory');
  check('memory-efficient', 'memory', 0, 1.3, 'Memory-efficient attention keeps O(n) memory: memory exponent ≤ 1', 'Memory');
  check('full attention', 'allocated', 1.5, 2.3, 'Full attention allocates the n×n scores and weights: allocation exponent ≈ 2', 'Memory');
  check('memory-efficient', 'allocated', 0.7, 1.3, 'Memory-efficient attention allocates O(n): allocation exponent ≈ 1', 'Memory');
  return findings;
}

function learnFindings(results: BenchResults): Finding[] {
  const learn = results.learn;
  if (!learn) return [];
  const findings: Finding[] = [];
  const rowsOf = (task: string, model: string) => learn.rows.filter((row) => row.task === task && row.model === model).sort((a, b) => a.length - b.length);
  const adding = learn.tasks.find((task) => task.name === 'adding');
  if (adding) {
    const shortest = Math.min(...adding.lengths);
    for (const model of ['lstm', 'attention']) {
      const row = rowsOf('adding', model).find((entry) => entry.length === shortest);
      if (!row) continue;
      findings.push({
        topic: 'Learning',
        expectation: `${model === 'lstm' ? 'An LSTM' : 'Attention'} beats the adding problem's baseline (MSE ≈ 0.167) at short lengths`,
        measured: `${model} MSE ${formatNumber(row.score)} vs baseline ${formatNumber(row.baseline)} at T = ${shortest}`,
        agrees: row.beatsBaseline,
        comment: row.beatsBaseline ? undefined : `Not within this run's ${row.steps}-step budget; more steps (--full) are the first thing to try.`,
      });
    }
  }
  const recall = learn.tasks.find((task) => task.name === 'recall');
  if (recall && recall.lengths.length > 0) {
    const longest = Math.max(...recall.lengths);
    const attention = rowsOf('recall', 'attention').find((row) => row.length === longest);
    const recurrent = ['rnn', 'lstm', 'gru'].map((model) => rowsOf('recall', model).find((row) => row.length === longest)).filter((row) => row !== undefined);
    if (attention && recurrent.length > 0) {
      const best = recurrent.reduce((a, b) => (a.score >= b.score ? a : b));
      findings.push({
        topic: 'Learning',
        expectation: 'Attention recalls associations that a fixed-size recurrent state loses as the number of pairs grows (Zoology)',
        measured: `at T = ${longest}: attention ${(attention.score * 100).toFixed(1)}%, best recurrent (${best.model}) ${(best.score * 100).toFixed(1)}%`,
        agrees: attention.score > best.score,
        comment: attention.score > best.score ? undefined : 'The recurrent models matched or beat attention here: at these small sizes their state still holds every pair, or attention had too few steps.',
      });
    }
  }
  return findings;
}

function gradientFindings(results: BenchResults): Finding[] {
  const gradients = results.gradients;
  if (!gradients || gradients.rows.length === 0) return [];
  const ratio = (model: string): number | null => {
    const row = gradients.rows.find((entry) => entry.model === model && entry.stage === 'init');
    if (!row || row.norms[0] <= 0) return null;
    return row.norms[row.norms.length - 1] / row.norms[0];
  };
  const rnn = ratio('rnn');
  const attention = ratio('attention');
  if (rnn === null || attention === null) return [];
  return [
    {
      topic: 'Gradient flow',
      expectation: 'At initialisation a tanh RNN\'s gradient to early inputs decays with distance; attention\'s does not (direct paths)',
      measured: `far/near norm ratio at T = ${gradients.length}: rnn ${formatNumber(rnn, 2)}, attention ${formatNumber(attention, 2)}`,
      agrees: rnn < attention,
    },
  ];
}

/** Every finding the results support. */
export function findings(results: BenchResults): Finding[] {
  return [...(results.speed ? speedFindings(results.speed) : []), ...learnFindings(results), ...gradientFindings(results)];
}
