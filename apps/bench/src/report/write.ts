/**
 * Writes a run's files: `results.json` (every figure), `report.html` (tables, charts, quoted
 * results), `charts/*.svg` (for the docs app) and `tables.md` (the terminal tables as Markdown).
 * Called at the end of a run and again on Ctrl-C, so it must work on partial results.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatTable } from '../cli/table.js';
import type { BenchResults } from '../results.js';
import { buildCharts, type Chart } from './charts.js';
import { findings } from './findings.js';
import { renderHtml } from './html.js';
import { allTables } from './tables.js';

/** The files a run wrote. */
export interface WrittenReport {
  json: string;
  html: string;
  markdown: string;
  charts: string[];
  /** The charts as built (for PNG export). */
  built: Chart[];
}

/** Writes `text` to `path` atomically (a reader never sees half a file, even if we are killed mid-write). */
function writeAtomic(path: string, text: string): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/** Writes every output file of `results` into `outDir` (created if needed). */
export function writeReport(results: BenchResults, outDir: string): WrittenReport {
  mkdirSync(join(outDir, 'charts'), { recursive: true });
  const json = join(outDir, 'results.json');
  writeAtomic(json, `${JSON.stringify(results, null, 2)}\n`);
  const tables = allTables(results);
  const charts = buildCharts(results);
  // Charts of an earlier run that this one did not draw would be mistaken for this run's.
  const names = new Set(charts.map((chart) => `${chart.file}.svg`));
  for (const file of readdirSync(join(outDir, 'charts'))) {
    if (file.endsWith('.svg') && !names.has(file)) rmSync(join(outDir, 'charts', file));
  }
  const chartFiles = charts.map((chart) => {
    const file = join(outDir, 'charts', `${chart.file}.svg`);
    writeAtomic(file, `${chart.svg}\n`);
    return file;
  });
  const html = join(outDir, 'report.html');
  writeAtomic(html, renderHtml(results, tables, charts, findings(results), results.published));
  const markdown = join(outDir, 'tables.md');
  writeAtomic(markdown, `${tables.map(formatTable).join('\n\n')}\n`);
  return { json, html, markdown, charts: chartFiles, built: charts };
}
