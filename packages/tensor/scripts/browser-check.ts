/**
 * Checks the CPU backend in a real browser (Debian's chromium through playwright-core): on a
 * cross-origin-isolated page the WebAssembly SIMD kernels run on worker threads and match the
 * plain JS kernels; on a page without isolation the backend falls back to one thread and says
 * why; it reports the kernel variant picked (relaxed SIMD where Chromium has it, else plain
 * SIMD) and checks both. Prints one line per check and `N passed, M failed` (exit code 1 on a failure, 0 with a
 * skip line when no browser is installed).
 *
 *   node --conditions=@heed/source --import tsx packages/tensor/scripts/browser-check.ts
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.log(`no browser at ${executablePath}; skipping`);
  console.log('0 passed, 0 failed, 1 skipped');
  process.exit(0);
}

// The page's checks, bundled with the package sources.
const entry = `
import { createCpuBackend, cpuBackend, withBackend, randn, matmul, softmax, Generator } from ${JSON.stringify(fileURLToPath(new URL('../src/index.ts', import.meta.url)))};
const results = [];
const check = (name, ok, detail = '') => results.push({ name, ok: Boolean(ok), detail: String(detail) });
const close = (a, b, tolerance = 1e-4) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) <= tolerance * (1 + Math.abs(b[i])));
const reference = cpuBackend({ simd: false });
async function run() {
  const isolated = globalThis.crossOriginIsolated === true;
  const backend = await createCpuBackend({ threads: 2 });
  check('createCpuBackend uses the WebAssembly SIMD kernels', backend.info.kernels === 'wasm-simd', JSON.stringify({ ...backend.info, features: undefined }));
  // The kernel variant picked at run time: relaxed SIMD (fused multiply-add) where the engine validates it.
  const variant = backend.info.relaxedSimd ? 'relaxed SIMD (fused multiply-add)' : 'plain SIMD';
  check(\`kernel variant: \${variant}\`, backend.info.relaxedSimd === backend.info.features.relaxedSimd, \`engine relaxedSimd: \${backend.info.features.relaxedSimd}\`);
  const plain = await createCpuBackend({ threads: 1, relaxedSimd: false });
  check('relaxedSimd: false picks the plain SIMD kernels', plain.info.kernels === 'wasm-simd' && !plain.info.relaxedSimd);
  check(isolated ? 'isolated page: 2 threads' : 'page without isolation: 1 thread and a reason', isolated ? backend.info.threads === 2 : backend.info.threads === 1 && /cross-origin isolation/.test(backend.info.reason ?? ''), backend.info.reason);
  const sync = cpuBackend({ threads: 2 });
  check('synchronous cpuBackend() works or says why', sync.info.kernels === 'wasm-simd' || /failed to start/.test(sync.info.reason ?? ''), sync.info.reason ?? sync.info.kernels);
  const product = (target) => withBackend(target, () => matmul(randn([300, 200], { generator: new Generator(1) }), randn([200, 250], { generator: new Generator(2) })).dataSync());
  const want = product(reference);
  // Twice: the second run has the workers started.
  check('matmul matches the JS kernels', close(product(backend), want));
  await new Promise((resolve) => setTimeout(resolve, 300));
  check('matmul matches the JS kernels with workers running', close(product(backend), want));
  const weights = (target) => withBackend(target, () => softmax(randn([64, 500], { generator: new Generator(3) }).mul(5), -1).dataSync());
  check('softmax matches the JS kernels', close(weights(backend), weights(reference), 1e-5));
  const attention = (target) => withBackend(target, () => {
    const generator = new Generator(4);
    const query = randn([2, 150, 32], { generator });
    const key = randn([2, 170, 32], { generator });
    const value = randn([2, 170, 32], { generator });
    const forward = target.runFused('attentionForward', { query: query.view, key: key.view, value: value.view, mask: null, causal: true, scale: 0.2, window: null });
    return Array.from(forward.output);
  });
  check('fused attention matches the JS kernels', close(attention(backend), attention(reference)));
  check('fused attention matches the JS kernels on the plain SIMD kernels too', close(attention(plain), attention(reference)));
  check('matmul matches the JS kernels on the plain SIMD kernels too', close(product(plain), want));
  await plain.close();
  await backend.close();
  // close() stops the workers and releases their script; the next parallel job starts new ones.
  check('matmul matches the JS kernels after close() (the workers restart)', close(product(backend), want));
  await new Promise((resolve) => setTimeout(resolve, 300));
  check('…and with the restarted workers running', close(product(backend), want));
  await backend.close();
  return results;
}
run().then((list) => { window.__heedResults = list; }, (error) => { window.__heedResults = [{ name: 'page threw', ok: false, detail: String(error && error.stack || error) }]; });
`;

const bundle = await build({
  stdin: { contents: entry, resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'js' },
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  write: false,
  conditions: ['@heed/source'],
});
const script = bundle.outputFiles[0].text;
const page = '<!doctype html><meta charset="utf-8"><title>heed cpu backend</title><script type="module" src="/bundle.js"></script>';

const server = createServer((request, response) => {
  const isolated = request.url?.startsWith('/isolated/') ?? false;
  const headers: Record<string, string> = isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {};
  if (request.url?.endsWith('/bundle.js')) {
    response.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' });
    response.end(script);
  } else {
    response.writeHead(200, { ...headers, 'Content-Type': 'text/html' });
    response.end(page.replace('/bundle.js', isolated ? '/isolated/bundle.js' : '/plain/bundle.js'));
  }
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let passed = 0;
let failed = 0;
try {
  for (const path of ['/isolated/', '/plain/']) {
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (error) => errors.push(error.message));
    await tab.goto(`http://127.0.0.1:${port}${path}`);
    await tab.waitForFunction(() => (window as unknown as { __heedResults?: unknown }).__heedResults !== undefined, undefined, { timeout: 60_000 });
    const results = await tab.evaluate(() => (window as unknown as { __heedResults: { name: string; ok: boolean; detail: string }[] }).__heedResults);
    for (const result of [...results, ...errors.map((message) => ({ name: 'page error', ok: false, detail: message }))]) {
      console.log(`${result.ok ? 'ok  ' : 'FAIL'} ${path} ${result.name}${result.detail ? ` — ${result.detail}` : ''}`);
      if (result.ok) passed++;
      else failed++;
    }
    await tab.close();
  }
} finally {
  await browser.close();
  server.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
