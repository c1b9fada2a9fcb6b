#!/usr/bin/env node
// Runs the @heed/gpu suite (backend conformance, PyTorch reference cases, training against the
// CPU backend, memory release) on every gpu.js mode this machine can offer:
//   Node:     cpu, webasm, headlessgl (under Xvfb), webgpu (Dawn on Vulkan/SwiftShader)
//   Chromium: webgl2, webgl, webgpu (headless, Playwright driving a page bundled with esbuild)
// First it installs what those need, idempotently: Debian packages (chromium, xvfb, libvulkan1,
// the headers `gl` builds against) and a from-source build of the optional `gl` module. A mode
// whose prerequisites cannot be had is skipped with the reason. Ends with
// "N passed, M failed, K skipped".
//   node packages/gpu/scripts/test-gpu.mjs [--modes=webasm,node-webgpu,...] [--no-setup] [--verbose]
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { homedir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(packageRoot, '..', '..');
const require = createRequire(join(packageRoot, 'package.json'));
const argument = (name) => process.argv.find((value) => value.startsWith(`--${name}=`))?.slice(name.length + 3);
const verbose = process.argv.includes('--verbose');
const swiftshaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';
const chromiumPath = '/usr/bin/chromium';
const requiredOps = 'sdpa,mha,lstm,gru,rnn_tanh';

/** Each mode: where it runs, which reference ops, and what it needs. */
const allModes = [
  { id: 'node-cpu', mode: 'cpu', where: 'node', ops: '', needs: [] },
  { id: 'node-webasm', mode: 'webasm', where: 'node', ops: '', needs: [] },
  { id: 'node-headlessgl', mode: 'headlessgl', where: 'node', ops: requiredOps, needs: ['gl', 'xvfb'] },
  { id: 'node-webgpu', mode: 'webgpu', where: 'node', ops: requiredOps, needs: ['vulkan'] },
  { id: 'chromium-webgl2', mode: 'webgl2', where: 'browser', ops: requiredOps, needs: ['chromium'] },
  { id: 'chromium-webgl', mode: 'webgl', where: 'browser', ops: 'lstm,gru,rnn_tanh', needs: ['chromium'] },
  { id: 'chromium-webgpu', mode: 'webgpu', where: 'browser', ops: requiredOps, needs: ['chromium', 'vulkan'] },
];
const chosen = argument('modes')?.split(',');
const modes = chosen ? allModes.filter((mode) => chosen.includes(mode.id) || chosen.includes(mode.mode)) : allModes;

function log(line) {
  process.stdout.write(`${line}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...options });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`, error: result.error };
}

// ---------------------------------------------------------------- set-up (idempotent)

const problems = {}; // need → reason it cannot be met

function dpkgInstalled(name) {
  return run('dpkg-query', ['-W', '-f=${Status}', name]).output.includes('install ok installed');
}

function aptInstall(names) {
  const missing = names.filter((name) => !dpkgInstalled(name));
  if (missing.length === 0) return null;
  if (!existsSync('/usr/bin/apt-get')) return `apt-get is not available to install ${missing.join(', ')}`;
  log(`setup: apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let result = run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-q', ...missing], { env });
  if (!result.ok) {
    run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update', '-q'], { env });
    result = run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-q', ...missing], { env });
  }
  return result.ok ? null : `apt-get install ${missing.join(' ')} failed: ${result.output.trim().split('\n').slice(-2).join(' ')}`;
}

/** The `gl` package gpu.js resolves (its optional dependency), or null. */
function glDirectory() {
  try {
    const gpuRequire = createRequire(require.resolve('gpu.js'));
    return dirname(gpuRequire.resolve('gl/package.json'));
  } catch {
    return null;
  }
}

function nodeGyp() {
  const npmRoot = run('npm', ['root', '-g']).output.trim();
  const candidate = join(npmRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return existsSync(candidate) ? [process.execPath, candidate] : ['npx', '--yes', 'node-gyp'];
}

/** Builds `gl` from source once (pnpm does not run its install script); returns a reason on failure. */
function ensureGl() {
  const directory = glDirectory();
  if (!directory) return 'the optional `gl` package is not installed (pnpm install should add it with gpu.js)';
  const binary = join(directory, 'build', 'Release', 'webgl.node');
  if (existsSync(binary)) return null;
  // The build lands inside this clone's node_modules; keep a copy per gl version and Node ABI in
  // the user's cache so later clones on the same machine reuse it (a new machine builds again).
  const version = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')).version;
  const cached = join(homedir(), '.cache', 'heed', `gl-${version}-node-abi${process.versions.modules}-${process.arch}`, 'webgl.node');
  if (existsSync(cached)) {
    mkdirSync(dirname(binary), { recursive: true });
    copyFileSync(cached, binary);
    log(`setup: gl ${version} taken from ${cached}`);
    return null;
  }
  const packages = aptInstall(['libxi-dev', 'libxext-dev', 'libx11-dev', 'libgl-dev', 'pkg-config', 'python3', 'make', 'g++']);
  if (packages) return packages;
  const [command, ...prefix] = nodeGyp();
  // Node's own headers ship with Debian's nodejs in /usr/include/node; point node-gyp there
  // instead of downloading them.
  const nodedir = existsSync('/usr/include/node/node.h') ? ['--nodedir=/usr'] : [];
  log(`setup: building gl from source in ${directory} (one time, several minutes)`);
  const started = Date.now();
  const result = run(command, [...prefix, 'rebuild', ...nodedir, '-j', '2'], { cwd: directory });
  if (!result.ok) return `building gl failed: ${result.output.trim().split('\n').slice(-3).join(' ')}`;
  log(`setup: gl built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  try {
    mkdirSync(dirname(cached), { recursive: true });
    copyFileSync(binary, cached);
  } catch {
    // A cache that cannot be written only costs the next clone a rebuild.
  }
  return null;
}

function setup() {
  const needs = new Set(modes.flatMap((mode) => mode.needs));
  if (process.argv.includes('--no-setup')) {
    if (needs.has('gl') && !existsSync(join(glDirectory() ?? '/nonexistent', 'build', 'Release', 'webgl.node'))) problems.gl = 'gl is not built (run without --no-setup)';
  } else {
    if (needs.has('gl')) problems.gl = ensureGl();
    if (needs.has('xvfb')) problems.xvfb = aptInstall(['xvfb', 'xauth']);
    if (needs.has('vulkan') || needs.has('chromium')) {
      // Debian's chromium ships the SwiftShader Vulkan driver Dawn uses in Node too.
      const reason = aptInstall(['chromium', 'libvulkan1']);
      problems.vulkan = reason;
      problems.chromium = reason;
    }
  }
  if (!problems.vulkan && needs.has('vulkan') && !existsSync(swiftshaderIcd)) problems.vulkan = `no SwiftShader Vulkan driver at ${swiftshaderIcd}`;
  if (!problems.chromium && needs.has('chromium') && !existsSync(chromiumPath)) problems.chromium = `no browser at ${chromiumPath}`;
  if (!problems.xvfb && needs.has('xvfb') && !existsSync('/usr/bin/xvfb-run')) problems.xvfb = 'xvfb-run is missing';
}

// ---------------------------------------------------------------- Node modes

function runNodeMode(mode) {
  return new Promise((done) => {
    const script = join(packageRoot, 'scripts', 'run-mode.ts');
    const args = ['--expose-gc', '--conditions=@heed/source', '--import', 'tsx', script, `--mode=${mode.mode}`];
    if (mode.ops) args.push(`--ops=${mode.ops}`);
    if (verbose) args.push('--verbose');
    const env = { ...process.env, VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? swiftshaderIcd };
    const [command, commandArgs] = mode.needs.includes('xvfb') ? ['xvfb-run', ['-a', process.execPath, ...args]] : [process.execPath, args];
    const child = spawn(command, commandArgs, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk) => {
      output += chunk;
      for (const line of String(chunk).split('\n')) if (/^(FAIL|ok|skip) /.test(line)) log(`  ${line}`);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => {
      const match = /^RESULT (.*)$/m.exec(output);
      if (match) return done(JSON.parse(match[1]));
      log(output.trim().split('\n').slice(-15).join('\n'));
      done({ mode: mode.mode, backend: mode.id, passed: 0, failed: 1, skipped: 0, seconds: 0, detail: `exited with ${code} before reporting` });
    });
  });
}

// ---------------------------------------------------------------- browser modes

async function bundlePage() {
  const esbuild = require('esbuild');
  const directory = join(packageRoot, '.bundle');
  mkdirSync(directory, { recursive: true });
  const adapterFiles = ['tensor', 'scoring', 'attention', 'rnn'].map((name) => join(root, 'packages', name, 'test', 'reference-adapters.ts')).filter((file) => existsSync(file));
  const entry = [
    `import { installPageRunner } from ${JSON.stringify(join(packageRoot, 'test', 'browser', 'page.ts'))};`,
    ...adapterFiles.map((file, index) => `import { adapters as adapters${index} } from ${JSON.stringify(file)};`),
    `installPageRunner(Object.assign({}, ${adapterFiles.map((_, index) => `adapters${index}`).join(', ')}));`,
  ].join('\n');
  writeFileSync(join(directory, 'entry.js'), entry);
  await esbuild.build({
    entryPoints: [join(directory, 'entry.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@heed/source'],
    outfile: join(directory, 'suite.js'),
    logLevel: 'error',
  });
  writeFileSync(join(directory, 'index.html'), '<!doctype html><meta charset="utf-8"><title>heed gpu suite</title><script type="module" src="suite.js"></script>\n');
  return directory;
}

function serve(directory) {
  const server = createServer((request, response) => {
    const name = (request.url ?? '/').split('?')[0] === '/' ? 'index.html' : (request.url ?? '').slice(1).split('?')[0];
    const file = join(directory, name);
    if (!file.startsWith(directory) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    const type = name.endsWith('.js') ? 'text/javascript' : 'text/html';
    response.writeHead(200, { 'content-type': type }).end(readFileSync(file));
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)));
}

async function runBrowserModes(browserModes, results) {
  let chromium;
  try {
    ({ chromium } = require('playwright-core'));
  } catch (error) {
    for (const mode of browserModes) results.push(skipped(mode, `playwright-core is not installed: ${error.message}`));
    return;
  }
  const directory = await bundlePage();
  const server = await serve(directory);
  const url = `http://127.0.0.1:${server.address().port}/`;
  const documents = loadDocuments();
  try {
    for (const mode of browserModes) {
      const started = Date.now();
      const flags = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
      flags.push('--use-angle=swiftshader', '--enable-unsafe-swiftshader');
      if (mode.mode === 'webgpu') flags.push('--enable-unsafe-webgpu', '--enable-features=Vulkan');
      const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: flags });
      try {
        const page = await browser.newPage();
        page.setDefaultTimeout(0);
        await page.goto(url);
        await page.waitForFunction(() => typeof globalThis.heedRunMode === 'function');
        const ops = mode.ops ? mode.ops.split(',') : undefined;
        const docs = ops ? documents.map(({ file, document }) => ({ file, document: { ...document, cases: (document.cases ?? []).filter((testCase) => ops.includes(testCase.op)) } })) : documents;
        const run = await page.evaluate(([name, payload, list]) => globalThis.heedRunMode(name, payload, list, 6), [mode.mode, docs, ops]);
        for (const result of run.results) {
          if (result.status === 'failed') log(`  FAIL chromium ${run.backend} ${result.group}: ${result.name}: ${String(result.message).slice(0, 600)}`);
          else if (verbose || result.group === 'training') log(`  ${result.status === 'passed' ? 'ok  ' : 'skip'} chromium ${run.backend} ${result.group}: ${result.name}${result.message ? ` (${result.message})` : ''}`);
        }
        const count = (status) => run.results.filter((result) => result.status === status).length;
        results.push({ mode: mode.mode, backend: `chromium ${run.backend}`, passed: count('passed'), failed: count('failed'), skipped: count('skipped'), seconds: (Date.now() - started) / 1000, detail: run.detail });
      } catch (error) {
        results.push({ mode: mode.mode, backend: `chromium ${mode.mode}`, passed: 0, failed: 1, skipped: 0, seconds: (Date.now() - started) / 1000, detail: `page failed: ${error.message.split('\n')[0]}` });
      } finally {
        await browser.close();
      }
    }
  } finally {
    server.close();
  }
}

function loadDocuments() {
  const directory = resolve(root, process.env.HEED_REFERENCE_DIR ?? '../shared/reference');
  if (!existsSync(directory)) throw new Error(`reference directory not found: ${directory} (check out shared/reference beside the clone, or set HEED_REFERENCE_DIR)`);
  return readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, document: JSON.parse(readFileSync(join(directory, file), 'utf8')) }));
}

function skipped(mode, reason) {
  return { mode: mode.mode, backend: `${mode.where === 'browser' ? 'chromium' : 'node'} ${mode.mode}`, passed: 0, failed: 0, skipped: 1, seconds: 0, detail: `skipped: ${reason}` };
}

// ---------------------------------------------------------------- main

const started = Date.now();
setup();
const results = [];
const runnable = [];
for (const mode of modes) {
  const reason = mode.needs.map((need) => problems[need]).find(Boolean);
  if (reason) results.push(skipped(mode, reason));
  else runnable.push(mode);
}
for (const mode of runnable.filter((entry) => entry.where === 'node')) {
  log(`\n── node ${mode.mode}${mode.ops ? ` (reference ops: ${mode.ops})` : ''}`);
  results.push(await runNodeMode(mode));
}
const browserModes = runnable.filter((entry) => entry.where === 'browser');
if (browserModes.length > 0) {
  log(`\n── chromium ${browserModes.map((mode) => mode.mode).join(', ')}`);
  await runBrowserModes(browserModes, results);
}
log('\n── gpu.js modes');
for (const result of results) {
  log(`${result.failed > 0 ? 'FAIL' : result.passed > 0 ? 'ok  ' : 'skip'} ${result.backend.padEnd(26)} ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped (${result.seconds.toFixed(1)} s)${result.detail ? ` — ${result.detail}` : ''}`);
}
const total = (key) => results.reduce((sum, result) => sum + result[key], 0);
log(`(${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
log(`${total('passed')} passed, ${total('failed')} failed, ${total('skipped')} skipped`);
process.exit(total('failed') > 0 ? 1 : 0);
