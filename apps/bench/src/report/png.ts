/**
 * PNG copies of the charts (`--png`), taken by headless Chromium through playwright-core from
 * the same SVG files. Optional: without a Chromium binary the run notes why and carries on.
 */
import { existsSync, writeFileSync } from 'node:fs';
import type * as Playwright from 'playwright-core';
import type { Chart } from './charts.js';

/** Chromium switches for a headless machine with no GPU and no network. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Where Chromium lives: `CHROMIUM_PATH`, else Debian's package. */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

/**
 * Writes `charts` as PNG files (`file(chart)` gives each path). Returns the files written, or
 * the reason none could be.
 */
export async function writePngCharts(charts: readonly Chart[], file: (chart: Chart) => string): Promise<{ files: string[] } | { reason: string }> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) return { reason: `no Chromium at ${executablePath} (install Debian's chromium or set CHROMIUM_PATH)` };
  let playwright: typeof Playwright;
  try {
    playwright = await import('playwright-core');
  } catch (error) {
    return { reason: `playwright-core did not load: ${error instanceof Error ? error.message : String(error)}` };
  }
  const browser = await playwright.chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ deviceScaleFactor: 2 });
    const files: string[] = [];
    for (const chart of charts) {
      await page.setContent(`<!doctype html><html><body style="margin:0;background:#fff">${chart.svg}</body></html>`);
      const element = await page.$('svg');
      if (!element) continue;
      const path = file(chart);
      writeFileSync(path, await element.screenshot({ type: 'png' }));
      files.push(path);
    }
    return { files };
  } finally {
    await browser.close();
  }
}
