#!/usr/bin/env node
// Generates the API reference (Markdown under api/, plus api/typedoc-sidebar.json) from the TSDoc
// of every heed package that has sources, with TypeDoc and typedoc-plugin-markdown. It reads the
// TypeScript sources (the `@heed/source` condition), so the packages need no build first.
// Skips the work when the output is newer than every package source.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application } from 'typedoc';

const docs = join(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = join(docs, '../../packages');
const out = join(docs, 'api');
const stamp = join(out, '.generated');

/** Packages that have an index.ts to document, in the order a reader meets them. */
const order = ['tensor', 'scoring', 'attention', 'rnn', 'gpu'];
const packages = order.filter((name) => existsSync(join(packagesDir, name, 'src/index.ts')) && existsSync(join(packagesDir, name, 'package.json')));

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const newest = Math.max(statSync(fileURLToPath(import.meta.url)).mtimeMs, ...packages.map((name) => newestSource(join(packagesDir, name, 'src'))));
const listed = existsSync(stamp) ? readFileSync(stamp, 'utf8') : '';
if (!process.argv.includes('--force') && existsSync(stamp) && statSync(stamp).mtimeMs >= newest && listed === packages.join(',')) {
  console.log(`api: up to date (${packages.join(', ')})`);
  process.exit(0);
}

const started = Date.now();
rmSync(out, { recursive: true, force: true });
const app = await Application.bootstrapWithPlugins({
  name: 'heed',
  entryPointStrategy: 'resolve',
  entryPoints: packages.map((name) => join(packagesDir, name, 'src/index.ts')),
  tsconfig: join(docs, 'tsconfig.api.json'),
  excludeExternals: true,
  disableGit: true,
  basePath: join(docs, '../..'),
  sourceLinkTemplate: 'https://github.com/heed-js/heed/blob/main/packages/{path}#L{line}',
  plugin: ['typedoc-plugin-markdown', 'typedoc-vitepress-theme'],
  out,
  docsRoot: docs,
  readme: 'none',
  excludePrivate: true,
  excludeInternal: true,
  excludeNotDocumented: false,
  excludeScopesInPaths: true,
  outputFileStrategy: 'members',
  membersWithOwnFile: ['Class', 'Interface', 'Enum'],
  hidePageHeader: true,
  hideBreadcrumbs: false,
  useCodeBlocks: true,
  parametersFormat: 'table',
  interfacePropertiesFormat: 'table',
  classPropertiesFormat: 'table',
  typeDeclarationFormat: 'table',
  indexFormat: 'table',
  sanitizeComments: true,
  skipErrorChecking: true,
  validation: { notExported: false, invalidLink: true, rewrittenLink: true },
  sidebar: { autoConfiguration: true, format: 'vitepress', pretty: true, collapsed: true },
  logLevel: 'Warn',
});
const project = await app.convert();
if (!project) {
  console.error('api: TypeDoc could not convert the packages');
  process.exit(1);
}
// One module per package, named as users import it.
for (const module of project.children ?? []) {
  const name = packages.find((candidate) => module.name === `packages/${candidate}/src`);
  if (name) module.name = `@heed/${name}`;
}
await app.generateOutputs(project);
// A warning is a doc bug (a shape like `[B, T]: …` at the start of a comment line reads as a
// Markdown link definition and vanishes from the page), so it fails the build like an error.
if (app.logger.hasErrors() || app.logger.hasWarnings()) {
  console.error('api: TypeDoc reported the problems above; fix the TSDoc (wrap shapes in backticks)');
  process.exit(1);
}
mkdirSync(out, { recursive: true });

// The packages in the order a reader meets them (TypeDoc sorts them alphabetically), under a
// hand-written index page.
const sidebarFile = join(out, 'typedoc-sidebar.json');
const sidebar = JSON.parse(readFileSync(sidebarFile, 'utf8'));
const rank = (item) => packages.indexOf(String(item.text).replace('@heed/', ''));
sidebar.sort((a, b) => rank(a) - rank(b));
writeFileSync(sidebarFile, JSON.stringify(sidebar, null, 2));
const rows = packages.map((name) => {
  const { description } = JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8'));
  return `| [\`@heed/${name}\`](./${name}/) | ${description ?? ''} |`;
});
writeFileSync(
  join(out, 'index.md'),
  `# API reference

Generated from the TSDoc comments of every heed package (TypeDoc). The [guides](/guide/getting-started) explain the ideas and link here.

Shapes use one legend throughout: \`B\` batch, \`L\` query length, \`S\` key length, \`H\` heads, \`D\` model or head width, \`T\` time steps.

| Package | What it holds |
| --- | --- |
${rows.join('\n')}
`,
);
writeFileSync(stamp, packages.join(','));
console.log(`api: ${packages.length} packages (${packages.join(', ')}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
