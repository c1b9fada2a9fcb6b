#!/usr/bin/env node
// The docs' end-to-end test, run by the root test command:
//   1. runs the guide snippets (vitest), so no example in the guides rots;
//   2. builds the site when a source is newer than the last build;
//   3. installs Debian's chromium when /usr/bin/chromium is missing;
//   4. serves the built site on 127.0.0.1, visits every page in both languages with headless
//      Chromium (playwright-core), runs every demo, checks it produced numbers or heatmaps and that
//      no console error happened, and saves screenshots under apps/docs/.e2e/.
// Ends with "N passed, M failed". Options: --no-build (use the existing build), --only=<text>
// (pages whose path contains the text), --no-snippets.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDemos } from './e2e-demos.mjs';
import { serveStatic } from './serve.mjs';

const docs = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(docs, '../..');
const dist = join(docs, '.vitepress/dist');
const shots = join(docs, '.e2e');
const args = process.argv.slice(2);
const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const results = [];
function record(name, error) {
  results.push({ name, error });
  console.log(`${error ? '✗' : '✓'} ${name}${error ? `\n    ${String(error).split('\n').join('\n    ')}` : ''}`);
}
function finish() {
  const failed = results.filter((result) => result.error).length;
  console.log(`\n${results.length - failed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}
function run(command, commandArgs, options = {}) {
  const started = Date.now();
  const result = spawnSync(command, commandArgs, { cwd: docs, stdio: 'inherit', ...options });
  return { ok: result.status === 0, seconds: (Date.now() - started) / 1000 };
}

// 1. Snippets.
if (!args.includes('--no-snippets')) {
  const report = join(shots, 'snippets.json');
  mkdirSync(shots, { recursive: true });
  const vitest = join(docs, 'node_modules/.bin/vitest');
  run(vitest, ['run', '--config', 'vitest.config.ts', '--reporter=default', '--reporter=json', `--outputFile=${report}`]);
  if (existsSync(report)) {
    const { testResults } = JSON.parse((await import('node:fs')).readFileSync(report, 'utf8'));
    for (const file of testResults) for (const test of file.assertionResults) record(`snippet test: ${test.fullName}`, test.status === 'passed' ? null : test.failureMessages.join('\n').slice(0, 2000));
  } else record('snippet tests ran', 'vitest wrote no report');
}

// 2. Build when needed.
function newest(path) {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let latest = stats.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (['node_modules', 'dist', 'cache', '.e2e', '.turbo'].includes(entry) || entry.endsWith('.test.ts')) continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}
const sources = [docs, ...['tensor', 'scoring', 'attention', 'rnn', 'gpu'].map((name) => join(root, 'packages', name, 'src')), join(root, 'apps/bench/results')];
const built = existsSync(join(dist, 'index.html')) ? statSync(join(dist, 'index.html')).mtimeMs : 0;
if (!args.includes('--no-build') && Math.max(...sources.map(newest)) > built) {
  console.log('\n━━ building the site (sources changed since the last build)');
  const api = run('node', ['scripts/api.mjs']);
  const site = api.ok ? run(join(docs, 'node_modules/.bin/vitepress'), ['build']) : { ok: false, seconds: 0 };
  record(`site builds (API ${api.seconds.toFixed(0)} s, VitePress ${site.seconds.toFixed(0)} s)`, api.ok && site.ok ? null : 'the build failed (see above)');
  if (!site.ok) finish();
} else {
  console.log('\n━━ the site is up to date (built after the last source change)');
}

// 3. Chromium.
if (!existsSync(chromiumPath)) {
  console.log(`\n━━ installing Debian's chromium (${chromiumPath} is missing)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let install = run('apt-get', ['install', '-y', '-q', '-o', 'DPkg::Lock::Timeout=300', 'chromium'], { env });
  if (!install.ok) {
    run('apt-get', ['update', '-q'], { env });
    install = run('apt-get', ['install', '-y', '-q', '-o', 'DPkg::Lock::Timeout=300', 'chromium'], { env });
  }
  if (!install.ok || !existsSync(chromiumPath)) {
    record('chromium is installed', `apt-get install chromium failed and ${chromiumPath} is missing`);
    finish();
  }
}

// 4. Visit every page.
function pages() {
  const list = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.html') && entry.name !== '404.html') list.push(relative(dist, path));
    }
  };
  walk(dist);
  // Guides and home pages in both languages, and the API index of each package (not every member page).
  return list
    .filter((file) => !file.startsWith('api/') || /^api\/(index|[^/]+\/index)\.html$/.test(file))
    .map((file) => `/${file.replace(/index\.html$/, '').replace(/\.html$/, '')}`)
    .filter((path) => !only || path.includes(only))
    .sort();
}

const { chromium } = await import('playwright-core');
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });
const server = await serveStatic(dist);
const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  for (const path of pages()) {
    const page = await context.newPage();
    const problems = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
    });
    const name = path === '/' ? 'home' : path.replace(/^\//, '').replace(/\/$/, '').replaceAll('/', '-');
    try {
      // 'load', not 'networkidle': the backends page starts and stops Web Workers from blob URLs,
      // and Chromium can keep such a worker's script request open forever, so the network never
      // goes idle although the page is done. The demos' own states say when they are ready.
      const response = await page.goto(`${server.url}${path}`, { waitUntil: 'load', timeout: 60_000 });
      if (!response || response.status() !== 200) throw new Error(`HTTP ${response?.status()}`);
      await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => undefined);
      const heading = await page.locator('h1').first().textContent({ timeout: 60_000 });
      if (!heading?.trim()) throw new Error('the page has no heading');
      const language = await page.getAttribute('html', 'lang');
      const wanted = path.startsWith('/zh/') ? 'zh-CN' : 'en-US';
      if (language !== wanted) throw new Error(`lang is ${language}, expected ${wanted}`);
      const mathErrors = await page.locator('.katex-error').count();
      if (mathErrors > 0) throw new Error(`${mathErrors} formulas failed to render`);
      const demos = await checkDemos(page, record, path);
      const formulas = await page.locator('.katex').count();
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.waitForTimeout(100);
      // API pages are long tables: the first screen is enough to see that they render.
      await page.screenshot({ path: join(shots, `${name}.png`), fullPage: !path.startsWith('/api/') });
      if (problems.length > 0) throw new Error(problems.join('\n'));
      record(`page ${path} renders (${formulas} formulas, ${demos} demos${heading ? `, "${heading.trim().slice(0, 60)}"` : ''})`, null);
    } catch (error) {
      await page.screenshot({ path: join(shots, `${name}.failed.png`), fullPage: true }).catch(() => {});
      record(`page ${path} renders`, [error instanceof Error ? error.message : String(error), ...problems].join('\n'));
    }
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
writeFileSync(join(shots, 'results.json'), JSON.stringify(results, null, 2));
finish();
