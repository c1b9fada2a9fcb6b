/**
 * Line charts as standalone SVG, written by hand (no chart library): linear or log axes with
 * "nice" ticks, one polyline per series, dashed reference series, a legend, and a <title> on
 * every point so hovering in a browser shows its value. The same SVG is inlined in the HTML
 * report and saved as a file for the docs app.
 */

/** One line of points; `dashed` for baselines and references. */
export interface Series {
  name: string;
  points: [number, number][];
  dashed?: boolean;
  /** Override the palette colour. */
  color?: string;
}

/** What to draw. */
export interface LineChartSpec {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  xScale?: 'linear' | 'log';
  yScale?: 'linear' | 'log';
  series: Series[];
  /** Fixed y range (e.g. [0, 1] for accuracy); otherwise from the data. */
  yDomain?: [number, number];
  width?: number;
  height?: number;
  /** Tick positions on the x axis (default: chosen from the data range). */
  xTicks?: number[];
  /** Formats tick and tooltip values. */
  formatX?: (value: number) => string;
  formatY?: (value: number) => string;
}

/** Okabe–Ito colours (distinguishable with common colour-vision deficiencies), then extras. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#8C6D1F', '#000000', '#7F7F7F', '#F0E442'];

/** Escapes text for SVG/HTML. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A short number for tick labels (`1k`, `16k`, `0.25`, `1e-6`). */
export function shortNumber(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 && magnitude % 1e6 === 0) return `${value / 1e6}M`;
  if (magnitude >= 1e3 && magnitude % 1e3 === 0) return `${value / 1e3}k`;
  if (magnitude >= 1024 && Number.isInteger(Math.log2(magnitude))) return `${value / 1024}k`;
  if (magnitude >= 1e4 || magnitude < 1e-3) return value.toExponential(0).replace('e+', 'e');
  return String(Number(value.toPrecision(3)));
}

/** Tick values for a linear axis: 1, 2 or 5 times a power of ten, about `count` of them. */
export function linearTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const rough = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let value = Math.ceil(min / step) * step; value <= max + step * 1e-9; value += step) ticks.push(Number(value.toPrecision(12)));
  return ticks;
}

/** Tick values for a log axis: powers of ten, or of two when the range spans little. */
export function logTicks(min: number, max: number): number[] {
  if (!(max > min) || min <= 0) return [min];
  const ticks: number[] = [];
  const decades = Math.log10(max) - Math.log10(min);
  const base = decades < 2.5 ? 2 : 10;
  const stride = base === 10 && decades > 8 ? 2 : 1;
  const start = Math.floor(Math.log(min) / Math.log(base) + 1e-9);
  const end = Math.ceil(Math.log(max) / Math.log(base) - 1e-9);
  for (let exponent = start; exponent <= end; exponent += stride) {
    const value = base ** exponent;
    if (value >= min * (1 - 1e-9) && value <= max * (1 + 1e-9)) ticks.push(value);
  }
  return ticks.length >= 2 ? ticks : [min, max];
}

interface Axis {
  toPixel(value: number): number;
  ticks: number[];
}


function makeAxis(scale: 'linear' | 'log', domain: [number, number], range: [number, number]): Axis {
  const [low, high] = domain;
  if (scale === 'log') {
    const l0 = Math.log(low);
    const l1 = Math.log(high);
    return {
      toPixel: (value) => range[0] + ((Math.log(value) - l0) / (l1 - l0 || 1)) * (range[1] - range[0]),
      ticks: logTicks(low, high),
    };
  }
  return {
    toPixel: (value) => range[0] + ((value - low) / (high - low || 1)) * (range[1] - range[0]),
    ticks: linearTicks(low, high),
  };
}

function domainOf(values: number[], scale: 'linear' | 'log'): [number, number] {
  const usable = values.filter((value) => Number.isFinite(value) && (scale === 'linear' || value > 0));
  if (usable.length === 0) return scale === 'log' ? [1, 10] : [0, 1];
  let low = Math.min(...usable);
  let high = Math.max(...usable);
  if (scale === 'log') {
    if (low === high) return [low / 2, high * 2];
    // Pad to whole powers of two or ten so the ends get ticks.
    const base = Math.log10(high) - Math.log10(low) < 2.5 ? 2 : 10;
    low = base ** Math.floor(Math.log(low) / Math.log(base) + 1e-9);
    high = base ** Math.ceil(Math.log(high) / Math.log(base) - 1e-9);
    return [low, high];
  }
  if (low === high) return [low - 1, high + 1];
  const ticks = linearTicks(low, high);
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : (high - low) / 5;
  return [Math.floor(low / step) * step, Math.ceil(high / step) * step];
}

/**
 * Renders a line chart as a standalone SVG document (an `<svg>` element with its own styles).
 *
 * @example
 * ```ts
 * const svg = lineChart({ title: 'Forward time', xLabel: 'length', yLabel: 'ms', xScale: 'log', yScale: 'log',
 *   series: [{ name: 'lstm', points: [[128, 1.2], [256, 2.4]] }] });
 * ```
 */
export function lineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 640;
  const height = spec.height ?? 400;
  const xScale = spec.xScale ?? 'linear';
  const yScale = spec.yScale ?? 'linear';
  const formatX = spec.formatX ?? shortNumber;
  const formatY = spec.formatY ?? shortNumber;
  const legendWidth = 220;
  const margin = { top: spec.subtitle ? 54 : 40, right: legendWidth + 16, bottom: 52, left: 84 };
  const plotRight = width - margin.right;
  const plotBottom = height - margin.bottom;
  const series = spec.series.filter((line) => line.points.some(([x, y]) => isDrawable(x, xScale) && isDrawable(y, yScale)));
  const xs = series.flatMap((line) => line.points.map(([x]) => x));
  const ys = series.flatMap((line) => line.points.map(([, y]) => y));
  const xDomain: [number, number] = spec.xTicks && spec.xTicks.length > 1 ? [Math.min(...spec.xTicks), Math.max(...spec.xTicks)] : domainOf(xs, xScale);
  const x = makeAxis(xScale, xDomain, [margin.left, plotRight]);
  if (spec.xTicks && spec.xTicks.length > 1) x.ticks = [...spec.xTicks];
  const y = makeAxis(yScale, spec.yDomain ?? domainOf(ys, yScale), [plotBottom, margin.top]);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(spec.title)}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${margin.left}" y="22" font-size="15" font-weight="600" fill="#111">${escapeXml(spec.title)}</text>`,
  );
  if (spec.subtitle) out.push(`<text x="${margin.left}" y="40" fill="#555">${escapeXml(spec.subtitle)}</text>`);
  // Grid and ticks.
  for (const tick of x.ticks) {
    const px = x.toPixel(tick).toFixed(1);
    out.push(`<line x1="${px}" x2="${px}" y1="${margin.top}" y2="${plotBottom}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${px}" y="${plotBottom + 16}" text-anchor="middle" fill="#444">${escapeXml(formatX(tick))}</text>`);
  }
  for (const tick of y.ticks) {
    const py = y.toPixel(tick).toFixed(1);
    out.push(`<line x1="${margin.left}" x2="${plotRight}" y1="${py}" y2="${py}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${margin.left - 6}" y="${py}" dy="4" text-anchor="end" fill="#444">${escapeXml(formatY(tick))}</text>`);
  }
  out.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotRight - margin.left}" height="${plotBottom - margin.top}" fill="none" stroke="#999"/>`);
  out.push(
    `<text x="${(margin.left + plotRight) / 2}" y="${height - 12}" text-anchor="middle" fill="#222">${escapeXml(spec.xLabel)}${xScale === 'log' ? ' (log)' : ''}</text>`,
    `<text transform="translate(14 ${(margin.top + plotBottom) / 2}) rotate(-90)" text-anchor="middle" fill="#222">${escapeXml(spec.yLabel)}${yScale === 'log' ? ' (log)' : ''}</text>`,
  );
  // Lines, points and legend.
  series.forEach((line, index) => {
    const color = line.color ?? PALETTE[index % PALETTE.length];
    const points = line.points.filter(([px, py]) => isDrawable(px, xScale) && isDrawable(py, yScale)).sort((a, b) => a[0] - b[0]);
    const path = points.map(([px, py]) => `${x.toPixel(px).toFixed(1)},${y.toPixel(py).toFixed(1)}`).join(' ');
    out.push(`<g><title>${escapeXml(line.name)}</title>`);
    if (points.length > 1) {
      out.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"${line.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    }
    if (!line.dashed || points.length === 1) {
      for (const [px, py] of points) {
        out.push(
          `<circle cx="${x.toPixel(px).toFixed(1)}" cy="${y.toPixel(py).toFixed(1)}" r="3" fill="${color}"><title>${escapeXml(`${line.name}: ${formatX(px)} → ${formatY(py)}`)}</title></circle>`,
        );
      }
    }
    out.push('</g>');
    const ly = margin.top + 8 + index * 18;
    const lx = plotRight + 14;
    out.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${line.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${lx + 28}" y="${ly + 4}" fill="#222">${escapeXml(truncate(line.name, 28))}</text>`,
    );
  });
  if (series.length === 0) {
    out.push(`<text x="${(margin.left + plotRight) / 2}" y="${(margin.top + plotBottom) / 2}" text-anchor="middle" fill="#888">no data measured</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

function isDrawable(value: number, scale: 'linear' | 'log'): boolean {
  return Number.isFinite(value) && (scale === 'linear' || value > 0);
}

function truncate(text: string, size: number): string {
  return text.length <= size ? text : `${text.slice(0, size - 1)}…`;
}

/** One bar of a horizontal bar chart. */
export interface Bar {
  label: string;
  value: number;
  color?: string;
  note?: string;
}

/**
 * Horizontal bars on a log axis (for times that span orders of magnitude, such as peers).
 *
 * @example
 * ```ts
 * barChart({ title: 'LSTM forward', unit: 'ms', bars: [{ label: 'heed', value: 40 }, { label: 'tfjs-wasm', value: 8000 }] });
 * ```
 */
export function barChart(spec: { title: string; subtitle?: string; unit: string; bars: Bar[]; width?: number }): string {
  const width = spec.width ?? 640;
  const bars = spec.bars.filter((bar) => Number.isFinite(bar.value) && bar.value > 0);
  const rowHeight = 24;
  const top = spec.subtitle ? 54 : 40;
  const height = top + Math.max(1, bars.length) * rowHeight + 36;
  const labelWidth = 190;
  const right = width - 90;
  const values = bars.map((bar) => bar.value);
  const axis = makeAxis('log', domainOf(values.length ? [...values, Math.min(...values) / 2] : [1, 10], 'log'), [labelWidth, right]);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(spec.title)}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="600" fill="#111">${escapeXml(spec.title)}</text>`,
  ];
  if (spec.subtitle) out.push(`<text x="12" y="40" fill="#555">${escapeXml(spec.subtitle)}</text>`);
  const bottom = top + bars.length * rowHeight;
  for (const tick of axis.ticks) {
    const px = axis.toPixel(tick).toFixed(1);
    out.push(`<line x1="${px}" x2="${px}" y1="${top}" y2="${bottom}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${px}" y="${bottom + 16}" text-anchor="middle" fill="#444">${escapeXml(shortNumber(tick))}</text>`);
  }
  out.push(`<text x="${(labelWidth + right) / 2}" y="${bottom + 32}" text-anchor="middle" fill="#222">${escapeXml(spec.unit)} (log)</text>`);
  const origin = axis.toPixel(axis.ticks[0]);
  bars.forEach((bar, index) => {
    const yTop = top + index * rowHeight + 4;
    const end = axis.toPixel(bar.value);
    const color = bar.color ?? PALETTE[index % PALETTE.length];
    out.push(
      `<text x="${labelWidth - 8}" y="${yTop + 12}" text-anchor="end" fill="#222">${escapeXml(truncate(bar.label, 28))}</text>`,
      `<rect x="${origin.toFixed(1)}" y="${yTop}" width="${Math.max(1, end - origin).toFixed(1)}" height="${rowHeight - 8}" fill="${color}"><title>${escapeXml(`${bar.label}: ${shortNumber(bar.value)} ${spec.unit}${bar.note ? ` (${bar.note})` : ''}`)}</title></rect>`,
      `<text x="${(end + 6).toFixed(1)}" y="${yTop + 12}" fill="#222">${escapeXml(`${shortNumber(Number(bar.value.toPrecision(3)))}${bar.note ? ` ${bar.note}` : ''}`)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}
