import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * One vitest run covers every package; each package is a project named after its folder. The
 * `readme` project type-checks and runs every TS/JS block of the READMEs
 * (scripts/readme-blocks.test.ts).
 */
const packages = ['tensor', 'scoring', 'attention', 'rnn', 'gpu', 'apps/bench'];
/**
 * Node 20 has relaxed SIMD (fused multiply-add) behind a flag; Node 22+ has it on. The tests turn
 * it on so the CPU backend's relaxed-SIMD kernels (what Node 22+ and Chromium users run) are tested
 * on every Node; the wasm and conformance tests run the plain SIMD kernels beside them. (Set for
 * every project: vitest 3 ignores a project's own `poolOptions`.)
 */
const relaxedSimdFlag = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : [];

export default defineConfig({
  resolve: { conditions: ['@heed/source'] },
  ssr: { resolve: { conditions: ['@heed/source'] } },
  test: {
    poolOptions: { forks: { execArgv: relaxedSimdFlag } },
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        test: {
          name: name.split('/').pop(),
          // Absolute, so `pnpm --filter <package> test` (vitest started in the package folder) finds the files.
          root: fileURLToPath(new URL(name.includes('/') ? `./${name}/` : `./packages/${name}/`, import.meta.url)),
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
          benchmark: { include: ['src/**/*.bench.ts'] },
        },
      })),
      {
        extends: true as const,
        test: { name: 'readme', root: fileURLToPath(new URL('./scripts/', import.meta.url)), include: ['readme-blocks.test.ts'] },
      },
    ],
  },
});
