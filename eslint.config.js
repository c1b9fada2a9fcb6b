// One flat config for the workspace: typescript-eslint's type-checked rules, plus the layering
// rule from DEVELOPERS.md: dependencies point inward only (tensor ← scoring ← attention; rnn and
// gpu build on tensor; apps are never imported by packages), no deep imports into another
// package's src, and only @heed/gpu may import gpu.js.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Which @heed packages each package may import. */
const allowed = {
  tensor: [],
  scoring: ['tensor'],
  attention: ['tensor', 'scoring'],
  rnn: ['tensor', 'scoring', 'attention'],
  gpu: ['tensor'],
};
const all = ['tensor', 'scoring', 'attention', 'rnn', 'gpu', 'bench', 'docs', 'test-utils'];

const layering = Object.entries(allowed).map(([name, imports]) => ({
  files: [`packages/${name}/src/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: all.filter((other) => other !== name && !imports.includes(other)).map((other) => `@heed/${other}`),
            message: `@heed/${name} may import only ${imports.length ? imports.map((i) => `@heed/${i}`).join(', ') : 'no other @heed package'} (dependencies point inward).`,
          },
          { group: ['@heed/*/src/*', '../../*/src/*'], message: 'import a package by its name, never its src/ files.' },
          ...(name === 'gpu' ? [] : [{ group: ['gpu.js'], message: 'only @heed/gpu may import gpu.js.' }]),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/.vitepress/cache/**', '**/.vitepress/dist/**', 'apps/bench/results/**', '**/*.js', '**/*.mjs', '**/*.cjs', '.tmp/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/consistent-type-exports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  ...layering,
  {
    files: ['**/*.test.ts', '**/test/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
