import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { withBackend } from '../backend-registry.js';
import { matmul } from '../ops/matmul.js';
import { Generator, randn } from '../random.js';
import { backendConformanceCases, conformanceCasesByKernel, runConformanceCase } from '../testing/conformance.js';
import { wasmFeatures } from '../wasm/features.js';
import { cpuBackend, type CpuBackend } from './cpu-backend.js';

const reference = cpuBackend({ simd: false });
const features = wasmFeatures();
const configurations: [string, CpuBackend][] = [
  ['plain JS', reference],
  ['wasm, 1 thread', cpuBackend({ threads: 1 })],
  ['wasm, 3 threads', cpuBackend({ threads: 3 })],
  // The default picks relaxed SIMD where the engine has it (vitest.config.ts turns it on in Node 20); this is the plain SIMD variant.
  ['wasm, 1 thread, plain SIMD', cpuBackend({ threads: 1, relaxedSimd: false })],
];
afterAll(() => Promise.all(configurations.map(([, backend]) => backend.close())));

describe.each(configurations)('cpu backend conformance: %s', (_name, backend) => {
  // runConformanceCase compares with the case's float64 oracle, or else with the plain JS kernels
  // (the reference path), so the plain JS configuration runs only the cases with an oracle:
  // the others would compare it with itself.
  for (const testCase of backendConformanceCases()) {
    if (backend === reference && !testCase.oracle) continue;
    it(`${testCase.kernel}: ${testCase.name}`, () => {
      if (testCase.requires) expect(backend.supports?.(testCase.requires)).toBe(true);
      expect(runConformanceCase(testCase, backend)).toBeNull();
    });
  }
});

describe('the conformance table', () => {
  it('has cases for every kernel, and an independent oracle for every fused kernel', () => {
    const table = conformanceCasesByKernel();
    for (const [kernel, cases] of Object.entries(table)) expect(cases.length, kernel).toBeGreaterThan(0);
    for (const kernel of ['attentionForward', 'attentionBackward', 'lstmSequence', 'gruSequence', 'rnnSequence'] as const) {
      expect(table[kernel].every((testCase) => testCase.oracle !== undefined), kernel).toBe(true);
    }
  });

  it('catches a kernel that disagrees with its oracle', () => {
    const broken = cpuBackend({ simd: false });
    const runFused = broken.runFused!.bind(broken);
    // An LSTM sweep that forgets the hidden bias: the oracle must notice.
    broken.runFused = ((kernel, args) => runFused(kernel, kernel === 'lstmSequence' ? { ...args, biasHidden: null } : args));
    const [withBias] = conformanceCasesByKernel().lstmSequence;
    expect(runConformanceCase({ ...withBias, kernel: 'lstmSequence' }, broken)).toMatch(/result 0/);
  });
});

describe('cpuBackend options and info', () => {
  it('runs the plain JS kernels when asked, and says why it uses one thread', () => {
    const backend = cpuBackend({ simd: false, threads: 4 });
    expect(backend.info.kernels).toBe('js');
    expect(backend.info.threads).toBe(1);
    expect(backend.info.reason).toMatch(/simd: false/);
  });

  it('uses WebAssembly SIMD and the asked-for threads where the engine allows', () => {
    const backend = configurations[2][1];
    expect(backend.info.kernels).toBe(features.simd ? 'wasm-simd' : 'js');
    expect(backend.info.threads).toBe(features.simd && features.sharedMemory ? 3 : 1);
    if (backend.info.threads < 3) expect(backend.info.reason).toBeTruthy();
    else expect(backend.info.reason).toBeNull();
    expect(cpuBackend().info.threads).toBe(features.simd && features.sharedMemory ? Math.min(16, features.hardwareThreads) : 1);
  });

  it('picks relaxed SIMD where the engine has it, unless asked not to', () => {
    expect(configurations[1][1].info.relaxedSimd).toBe(features.simd && features.relaxedSimd);
    expect(configurations[3][1].info.relaxedSimd).toBe(false);
  });

  it('gives bit-identical products for 1 and 3 threads', () => {
    const run = (backend: CpuBackend) =>
      withBackend(backend, () => {
        const generator = new Generator(5);
        return matmul(randn([3, 70, 90], { generator }), randn([90, 110], { generator })).dataSync();
      });
    expect(run(configurations[2][1])).toEqual(run(configurations[1][1]));
  });
});

describe.skipIf(!features.simd || !features.sharedMemory)('cpu backend worker threads', () => {
  it('never keep Node alive: a script that used them exits without close()', () => {
    const directory = mkdtempSync(join(tmpdir(), 'heed-threads-'));
    const script = join(directory, 'uses-threads.mts');
    const source = pathToFileURL(fileURLToPath(new URL('../index.ts', import.meta.url))).href;
    writeFileSync(
      script,
      `import { cpuBackend, randn, matmul, withBackend } from ${JSON.stringify(source)};
const backend = cpuBackend({ threads: 2 });
withBackend(backend, () => matmul(randn([256, 256]), randn([256, 256])).dataSync());
await new Promise((resolve) => setTimeout(resolve, 300));
withBackend(backend, () => matmul(randn([256, 256]), randn([256, 256])).dataSync());
console.log('done', backend.info.threads);
`,
    );
    const started = Date.now();
    const result = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000, cwd: fileURLToPath(new URL('../../', import.meta.url)) });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('done 2');
    expect(result.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it('stop on close() and start again on the next parallel kernel', async () => {
    const backend = cpuBackend({ threads: 2 });
    const product = () => withBackend(backend, () => matmul(randn([128, 300], { generator: new Generator(1) }), randn([300, 200], { generator: new Generator(2) })).dataSync());
    const before = product();
    await backend.close();
    expect(product()).toEqual(before);
    await backend.close();
  });
});
