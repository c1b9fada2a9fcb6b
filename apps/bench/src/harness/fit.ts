/**
 * Scaling exponents: a least-squares line through (log n, log y). A slope near 1 is linear
 * work, near 2 quadratic. Small sizes are dominated by fixed overheads that flatten the curve,
 * so `fitScaling` uses the largest sizes measured.
 */

/** A fitted power law `y ≈ coefficient · n^exponent`. */
export interface PowerLawFit {
  exponent: number;
  coefficient: number;
  /** Coefficient of determination of the log-log line (1 = a perfect power law). */
  r2: number;
  /** The sizes the fit used. */
  sizes: number[];
}

/**
 * Least-squares fit of `log y = log c + k log x` over the points with positive, finite x and y.
 * Returns null with fewer than two usable points or when all x are equal.
 *
 * @example
 * ```ts
 * fitPowerLaw([128, 256, 512], [1, 4, 16]).exponent; // 2
 * ```
 */
export function fitPowerLaw(xs: readonly number[], ys: readonly number[]): PowerLawFit | null {
  const points: [number, number, number][] = [];
  for (let index = 0; index < Math.min(xs.length, ys.length); index++) {
    const x = xs[index];
    const y = ys[index];
    if (x > 0 && y > 0 && Number.isFinite(x) && Number.isFinite(y)) points.push([Math.log(x), Math.log(y), x]);
  }
  if (points.length < 2) return null;
  const n = points.length;
  const meanX = points.reduce((total, [x]) => total + x, 0) / n;
  const meanY = points.reduce((total, [, y]) => total + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxx += (x - meanX) ** 2;
    sxy += (x - meanX) * (y - meanY);
    syy += (y - meanY) ** 2;
  }
  if (sxx === 0) return null;
  const exponent = sxy / sxx;
  const intercept = meanY - exponent * meanX;
  const residual = points.reduce((total, [x, y]) => total + (y - (intercept + exponent * x)) ** 2, 0);
  return {
    exponent,
    coefficient: Math.exp(intercept),
    r2: syy === 0 ? 1 : 1 - residual / syy,
    sizes: points.map(([, , x]) => x),
  };
}

/**
 * The scaling exponent over the largest `maxPoints` sizes (default 4), where fixed overheads
 * matter least. Points are (size, value) pairs in any order.
 */
export function fitScaling(points: readonly { size: number; value: number | null }[], maxPoints = 4): PowerLawFit | null {
  const usable = points
    .filter((point): point is { size: number; value: number } => point.value !== null && point.value > 0 && Number.isFinite(point.value))
    .sort((a, b) => a.size - b.size)
    .slice(-maxPoints);
  return fitPowerLaw(
    usable.map((point) => point.size),
    usable.map((point) => point.value),
  );
}

/** Extrapolates a fit to `size` (used to skip sizes that would blow a time budget). */
export function predict(fit: PowerLawFit, size: number): number {
  return fit.coefficient * size ** fit.exponent;
}
