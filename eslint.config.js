// One flat config for the workspace: typescript-eslint's type-checked rules, plus the layering
// rules of CONTRIBUTING.md: dependencies point inward only (tensor ← scoring ← attention ← rnn;
// gpu builds on tensor; apps are never imported by packages), every package and script imports a
// package by its name, never its src/ files, and only @heed/gpu may import gpu.js.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Which @heed packages each package may import, exactly (architecture/backend.md and
 * CONTRIBUTING.md explain the edges; rnn's attention decoder is why it builds on attention).
 */
const allowed = {
  tensor: [],
  scoring: ['tensor'],
  attention: ['tensor', 'scoring'],
  rnn: ['tensor', 'scoring', 'attention'],
  gpu: ['tensor'],
};
const all = ['tensor', 'scoring', 'attention', 'rnn', 'gpu', 'bench', 'docs', 'test-utils'];
const bySourcePath = {
  group: ['@heed/*/src', '@heed/*/src/*', '../src', '../src/*', '../../*/src/*', '../packages/*/src/*', '../../packages/*/src/*', '../apps/*/src/*'],
  message: 'import a package by its name (@heed/…), never its src/ files.',
};

/** The restrictions on a package's source and scripts (`extraPaths`: further banned imports). */
const restrictions = (name, imports, { scripts = false, extraPaths = [] } = {}) => [
  'error',
  {
    paths: extraPaths,
    patterns: [
      {
        group: all.filter((other) => other !== name && !imports.includes(other)).map((other) => `@heed/${other}`),
        message: `@heed/${name} may import only ${imports.length ? imports.map((i) => `@heed/${i}`).join(', ') : 'no other @heed package'} (dependencies point inward).`,
      },
      // A package's own src/ may use relative paths inside src/; its scripts may not.
      scripts ? bySourcePath : { ...bySourcePath, group: bySourcePath.group.filter((pattern) => !pattern.startsWith('../src')) },
      ...(name === 'gpu' ? [] : [{ group: ['gpu.js'], message: 'only @heed/gpu may import gpu.js.' }]),
    ],
  },
];

// tensor's own ops take their gradient rules from typed tables (ops/op-set.ts): they call
// recordOp, never record, so no op can record a grad node without a rule in its table.
const recordOutsideTheTables = {
  name: '../autograd.js',
  importNames: ['record'],
  message: "tensor's ops record through recordOp and their file's GradRules table (ops/op-set.ts), never record().",
};

const layering = Object.entries(allowed).flatMap(([name, imports]) => [
  { files: [`packages/${name}/src/**/*.ts`], rules: { 'no-restricted-imports': restrictions(name, imports) } },
  // A package's scripts (benchmarks, device checks) use it as a user does: by name.
  { files: [`packages/${name}/scripts/**/*.ts`], rules: { 'no-restricted-imports': restrictions(name, [...imports, name], { scripts: true }) } },
]);
layering.push(
  {
    files: ['packages/tensor/src/ops/**/*.ts', 'packages/tensor/src/nn/**/*.ts'],
    ignores: ['packages/tensor/src/ops/op-set.ts', '**/*.test.ts'],
    rules: { 'no-restricted-imports': restrictions('tensor', [], { extraPaths: [recordOutsideTheTables] }) },
  },
  { files: ['scripts/**/*.ts', 'apps/*/scripts/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [bySourcePath] }] } },
);

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
