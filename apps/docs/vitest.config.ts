import { defineConfig } from 'vitest/config';

/** The docs' own tests: every code snippet the guides include runs here and must print what it says. */
export default defineConfig({
  resolve: { conditions: ['@heed/source'] },
  ssr: { resolve: { conditions: ['@heed/source'] } },
  test: {
    name: 'docs',
    root: import.meta.dirname,
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
  },
});
