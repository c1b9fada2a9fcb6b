/**
 * The learning suite's rows reduced to one entry per task, length and model: the mean score
 * and its spread over seeds, how many seeds converged, and the mean time to the target.
 */
import type { LearnRow, LearnSummary } from '../results.js';

/** Sample standard deviation (0 for fewer than two values). */
export function standardDeviation(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((total, value) => total + value, 0) / values.length;
  return Math.sqrt(values.reduce((total, value) => total + (value - mean) ** 2, 0) / (values.length - 1));
}

/**
 * Groups `rows` by task, length and model (in first-seen order) and summarises each group.
 *
 * @example
 * ```ts
 * summarize(results.learn.rows).find((entry) => entry.model === 'lstm' && entry.length === 256)?.mean;
 * ```
 */
export function summarize(rows: readonly LearnRow[]): LearnSummary[] {
  const groups = new Map<string, LearnRow[]>();
  for (const row of rows) {
    const key = `${row.task}\u0000${row.length}\u0000${row.model}`;
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0];
    const scores = group.map((row) => row.score);
    const mean = scores.reduce((total, value) => total + value, 0) / scores.length;
    const reached = group.filter((row) => row.reached !== null);
    const average = (values: number[]): number | null => (values.length ? values.reduce((total, value) => total + value, 0) / values.length : null);
    return {
      task: first.task,
      length: first.length,
      model: first.model,
      kind: first.kind,
      seeds: group.length,
      mean,
      spread: standardDeviation(scores),
      min: Math.min(...scores),
      max: Math.max(...scores),
      converged: group.filter((row) => row.convergence.status === 'converged').length,
      stillImproving: group.filter((row) => row.convergence.status === 'still-improving').length,
      reached: reached.length,
      meanSecondsToTarget: average(reached.map((row) => row.reached!.seconds)),
      meanStepsToTarget: average(reached.map((row) => row.reached!.step)),
      meanSeconds: average(group.map((row) => row.seconds)) ?? 0,
      steps: first.steps,
      beatsBaseline: group.filter((row) => row.beatsBaseline).length * 2 > group.length,
      baseline: first.baseline,
      ...(first.sharedWith ? { sharedWith: first.sharedWith } : {}),
    };
  });
}
