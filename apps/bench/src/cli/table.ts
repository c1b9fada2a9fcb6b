/**
 * Terminal tables that are also valid Markdown (pipes and a dashed rule), so a run's output can
 * be pasted into an issue or the docs as it is.
 */

/** A column: its header and which side numbers line up on. */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** A titled table with optional notes printed under it. */
export interface Table {
  title: string;
  columns: Column[];
  rows: string[][];
  notes?: string[];
}

/** Display width of a string (the ASCII and the few symbols we print are one column each). */
function width(text: string): number {
  return [...text].length;
}

function pad(text: string, size: number, align: 'left' | 'right'): string {
  const gap = ' '.repeat(Math.max(0, size - width(text)));
  return align === 'right' ? gap + text : text + gap;
}

/**
 * Renders a table as aligned Markdown.
 *
 * @example
 * ```ts
 * formatTable({ title: 'Speed', columns: [{ header: 'model' }, { header: 'ms', align: 'right' }], rows: [['lstm', '1.5']] });
 * ```
 */
export function formatTable(table: Table): string {
  const { columns, rows } = table;
  const widths = columns.map((column, index) => Math.max(3, width(column.header), ...rows.map((row) => width(row[index] ?? ''))));
  const line = (cells: string[]): string =>
    `| ${columns.map((column, index) => pad(cells[index] ?? '', widths[index], column.align ?? 'left')).join(' | ')} |`;
  const rule = `|${columns.map((column, index) => (column.align === 'right' ? `${'-'.repeat(widths[index] + 1)}:` : '-'.repeat(widths[index] + 2))).join('|')}|`;
  const out = [`### ${table.title}`, '', line(columns.map((column) => column.header)), rule, ...rows.map(line)];
  if (table.notes && table.notes.length > 0) out.push('', ...table.notes.map((note) => `- ${note}`));
  return out.join('\n');
}

/** Formats a number with about three significant digits (`12.3`, `0.0456`, `1.23e+6` only when huge). */
export function formatNumber(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e7 || magnitude < 1e-4) return value.toExponential(digits - 1);
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(magnitude)));
  return value.toFixed(Math.min(decimals, 6));
}

/** Milliseconds in a readable unit (`850 µs`, `12.3 ms`, `4.56 s`). */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1) return `${formatNumber(ms * 1000)} µs`;
  if (ms < 1000) return `${formatNumber(ms)} ms`;
  return `${formatNumber(ms / 1000)} s`;
}

/** Bytes in binary units (`512 B`, `3.20 MiB`). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${bytes < 0 ? '-' : ''}${unit === 0 ? value.toFixed(0) : formatNumber(value)} ${units[unit]}`;
}

/** A ratio such as `12.5×` (or `—`). */
export function formatRatio(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return `${formatNumber(ratio)}×`;
}
