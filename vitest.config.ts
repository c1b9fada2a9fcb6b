import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * One vitest run covers every package; each package is a project named after its folder. The
 * `readme` project type-checks and runs every TS/JS block of the READMEs
 * (scripts/readme-blocks.test.ts).
 */
const packages = ['tensor', 'scoring', 'attention', 'rnn', 'gpu', 'apps/bench'];

export default defineConfig({
  resolve: { conditions: ['@heed/source'] },
  ssr: { resolve: { conditions: ['@heed/source'] } },
  test: {
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
