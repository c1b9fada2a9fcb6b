/**
 * Reading a learning curve honestly: whether training had converged when the step budget ran
 * out, and when (steps and wall time) a run first reached a task's target score.
 */

/** One point of a learning curve: the averages over the `lossEvery` steps ending at `step`. */
export interface CurvePoint {
  step: number;
  /** Mean training loss over the window. */
  loss: number;
  /** Mean score on the window's training batches (accuracy, or MSE for regression). */
  score: number;
  /** Wall time since training started, at the end of the window. */
  seconds: number;
}

/** Whether a run converged: `still-improving` when the loss still fell over the last part of training. */
export interface Convergence {
  status: 'converged' | 'still-improving' | 'unknown';
  /** Relative fall of the loss over the last fifth (a least-squares line through its points); negative = rose. */
  relativeDrop: number | null;
}

/** The convergence rule: the loss fell by less than `threshold` (1 %) over the last `fraction` (a fifth) of training. */
export const CONVERGENCE_RULE = { fraction: 0.2, threshold: 0.01 } as const;

/**
 * Fits a line to the curve's points in the last fifth of `steps` and compares its value at the
 * start and the end of that stretch: a fall of less than 1 % of the start value is `converged`,
 * more is `still-improving`. Fewer than three points there: `unknown`. The fit, rather than two
 * raw points, keeps batch-to-batch noise from deciding.
 *
 * @example
 * ```ts
 * convergence([{ step: 80, loss: 1, … }, { step: 90, loss: 0.9, … }, { step: 100, loss: 0.8, … }], 100); // still-improving
 * ```
 */
export function convergence(curve: readonly Pick<CurvePoint, 'step' | 'loss'>[], steps: number, rule = CONVERGENCE_RULE): Convergence {
  const start = steps * (1 - rule.fraction);
  const points = curve.filter((point) => point.step >= start && Number.isFinite(point.loss));
  if (points.length < 3) return { status: 'unknown', relativeDrop: null };
  const meanStep = points.reduce((total, point) => total + point.step, 0) / points.length;
  const meanLoss = points.reduce((total, point) => total + point.loss, 0) / points.length;
  let covariance = 0;
  let variance = 0;
  for (const point of points) {
    covariance += (point.step - meanStep) * (point.loss - meanLoss);
    variance += (point.step - meanStep) ** 2;
  }
  const slope = variance > 0 ? covariance / variance : 0;
  const atStart = meanLoss + slope * (start - meanStep);
  const atEnd = meanLoss + slope * (steps - meanStep);
  const scale = Math.abs(atStart) > 1e-12 ? Math.abs(atStart) : Math.abs(meanLoss) || 1;
  const relativeDrop = (atStart - atEnd) / scale;
  return { status: relativeDrop < rule.threshold ? 'converged' : 'still-improving', relativeDrop };
}

/** A score to reach: accuracy at least `value`, or MSE at most `value`. */
export interface Target {
  metric: 'accuracy' | 'mse';
  value: number;
}

/** Whether `score` meets `target`. */
export function meetsTarget(score: number, target: Target): boolean {
  return target.metric === 'accuracy' ? score >= target.value : score <= target.value;
}

/**
 * The first curve point whose window score meets the target (its step and wall time), or null
 * when training never got there. Training batches are fresh samples, so a window's score
 * estimates held-out performance without extra evaluation passes.
 */
export function timeToTarget(curve: readonly CurvePoint[], target: Target): { step: number; seconds: number } | null {
  const point = curve.find((entry) => meetsTarget(entry.score, target));
  return point ? { step: point.step, seconds: point.seconds } : null;
}
