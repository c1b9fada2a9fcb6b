#!/usr/bin/env node
// Builds every published package the way `pnpm release` does (turbo → tsc -p tsconfig.build.json),
// packs it with pnpm (so `workspace:^` is rewritten exactly as on publish) and checks the tarball
// a user would download: package.json metadata, contents, README, `publint --strict` and
// `attw --profile esm-only` (the packages ship ESM only, so CommonJS resolution is not checked).
//   node scripts/test-build.mjs            (run by `npm test` when this file exists)
// Ends with `N passed, M failed`; exits non-zero when a check failed.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  Tally,
  buildPackages,
  formatBytes,
  mapLimited,
  packPackages,
  publishedNames,
  publishedPackages,
  readTarball,
  root,
  runAsync,
  tail,
} from './lib/published-packages.mjs';

const started = Date.now();
/** A section heading with the seconds since the start, so slow phases are visible. */
const heading = (text) => console.log(`\n── ${text} [${((Date.now() - started) / 1000).toFixed(0)} s]`);
const tally = new Tally();
const packages = publishedPackages();
const missing = publishedNames.filter((name) => !packages.some((entry) => entry.name === name));
if (missing.length > 0) console.log(`not in this checkout yet (nothing to check): ${missing.join(', ')}`);

heading('build (turbo run build → tsc -p tsconfig.build.json)');
for (const entry of packages) pruneStaleOutput(entry);
const builds = buildPackages(packages);
for (const entry of packages) tally.check(`${entry.name} builds`, builds.get(entry.name).ok, builds.get(entry.name).detail);

const built = packages.filter((entry) => builds.get(entry.name).ok);
const scratch = mkdtempSync(join(tmpdir(), 'heed-test-build-'));
// Removed on any exit, also when interrupted.
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(130));
try {
  heading('pack (pnpm pack), then publint and attw on each tarball');
  const tarballs = built.length > 0 ? packPackages(built, scratch) : new Map();
  // publint and attw read only the tarball: run them two at a time (attw loads TypeScript).
  const linted = new Map(
    await mapLimited([...tarballs], 2, async ([name, tarball]) => [
      name,
      {
        publint: await runAsync(join(root, 'node_modules/.bin/publint'), ['run', tarball, '--strict']),
        attw: await runAsync(join(root, 'node_modules/.bin/attw'), [tarball, '--profile', 'esm-only', '--no-definitely-typed', '--no-emoji', '--no-color', '--format', 'table-flipped']),
      },
    ]),
  );
  for (const entry of packages) {
    heading(`${entry.name} (${entry.dir})`);
    tally.check('package.json metadata', ...verdict(metadataProblems(entry)));
    const tarball = tarballs.get(entry.name);
    if (!tarball) {
      tally.check('packed tarball', false, '      not packed: the build failed');
      continue;
    }
    const packed = readTarball(tarball);
    console.log(`  packed ${formatBytes(packed.packedSize)}, unpacked ${formatBytes(packed.unpackedSize)}, ${packed.files.length} files`);
    tally.check('tarball contents', ...verdict(contentProblems(entry, packed)));
    tally.check('README with install command and example', ...verdict(readmeProblems(entry, packed)));
    const { publint, attw } = linted.get(entry.name);
    tally.check('publint --strict', publint.ok, publint.ok ? lastLine(publint.output) : tail(publint.output, 30));
    const entrypoints = attw.output.split('\n').filter((line) => /^│ "/.test(line)).length;
    tally.check(
      'attw --profile esm-only',
      attw.ok,
      attw.ok ? `${entrypoints} entry points resolve with types under node16 (ESM) and bundler` : tail(attw.output, 30),
    );
  }
} catch (error) {
  tally.check('build check ran to the end', false, tail(String(error?.stack ?? error), 30));
}

console.log(`\n${tally.summary()}`);
process.exit(tally.failed > 0 ? 1 : 0);

/** `[ok, detail]` for Tally.check from a list of problems. */
function verdict(problems) {
  return [problems.length === 0, problems.map((problem) => `      ${problem}`).join('\n')];
}

function lastLine(text) {
  return text.trim().split('\n').filter((line) => line.trim()).at(-1)?.trim() ?? '';
}

/** The metadata every published package carries (issue 9), read from its package.json. */
function metadataProblems({ name, dir, manifest }) {
  const problems = [];
  const expect = (ok, message) => ok || problems.push(message);
  expect(manifest.type === 'module', '"type" must be "module" (the packages ship ESM)');
  expect(typeof manifest.description === 'string' && manifest.description.length > 0, '"description" is missing');
  expect(manifest.sideEffects === false || Array.isArray(manifest.sideEffects), '"sideEffects" must be false (or list the files that have them)');
  expect(typeof manifest.engines?.node === 'string', '"engines.node" is missing');
  expect(manifest.license === 'MIT', `"license" must be "MIT" (found ${JSON.stringify(manifest.license)})`);
  expect(typeof manifest.repository?.url === 'string', '"repository.url" is missing');
  expect(manifest.repository?.directory === dir, `"repository.directory" must be "${dir}"`);
  expect(Array.isArray(manifest.keywords) && manifest.keywords.length > 0, '"keywords" is missing');
  expect(manifest.publishConfig?.access === 'public', '"publishConfig.access" must be "public" (scoped packages are private by default)');
  expect(Array.isArray(manifest.files) && manifest.files.includes('dist'), '"files" must list "dist"');
  const root = manifest.exports?.['.'];
  expect(root && typeof root === 'object', '"exports" must map "." to conditions');
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    if (typeof target !== 'object') continue;
    expect(typeof target.types === 'string' && typeof target.import === 'string', `exports["${subpath}"] needs "types" and "import"`);
    const order = Object.keys(target);
    expect(order.indexOf('types') < order.indexOf('import'), `exports["${subpath}"]: "types" must come before "import"`);
  }
  for (const field of ['dependencies', 'optionalDependencies']) {
    for (const [dependency, range] of Object.entries(manifest[field] ?? {})) {
      if (publishedNames.includes(dependency)) expect(range === 'workspace:^', `${field}["${dependency}"] must be "workspace:^" (found "${range}")`);
    }
  }
  // A 0.x peer range of "^" excludes the next minor, and changesets then releases the dependent
  // (and, through the fixed group, every package) as 1.0.0. Until 1.0, peers span the 0.x line.
  const zeroMajor = /^0\./.test(manifest.version);
  for (const [dependency, range] of Object.entries(manifest.peerDependencies ?? {})) {
    if (!publishedNames.includes(dependency)) continue;
    if (zeroMajor) expect(/^workspace:>=0\.\d+\.\d+ <1\.0\.0$/.test(range), `peerDependencies["${dependency}"] must be "workspace:>=0.x.y <1.0.0" while heed is 0.x (found "${range}"; "^" makes changesets release 1.0.0)`);
    else expect(range === 'workspace:^', `peerDependencies["${dependency}"] must be "workspace:^" (found "${range}")`);
  }
  if (name === '@heed/tensor') {
    const runtime = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies });
    expect(runtime.length === 0, `@heed/tensor must have no runtime dependencies (found ${runtime.join(', ')})`);
  }
  return problems;
}

/** What must (and must not) be in the tarball users download. */
function contentProblems({ name }, { files, manifest }) {
  const problems = [];
  const paths = new Set(files.map((file) => file.path));
  if (!manifest) return ['the tarball has no package.json'];
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dependency, range] of Object.entries(manifest[field] ?? {})) {
      if (String(range).startsWith('workspace:')) problems.push(`packed ${field}["${dependency}"] is still "${range}"`);
    }
  }
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    const targets = typeof target === 'string' ? [target] : Object.values(target);
    for (const path of targets) {
      if (typeof path === 'string' && !paths.has(path.replace(/^\.\//, ''))) problems.push(`exports["${subpath}"] points at ${path}, which is not in the tarball`);
    }
  }
  const unwanted = files.filter(({ path }) => /\.(test|bench)\.ts$|\.test-d\.ts$|^test\/|\.tsbuildinfo$|(^|\/)\.DS_Store$/.test(path));
  if (unwanted.length > 0) problems.push(`tests or build leftovers are packed: ${unwanted.slice(0, 5).map((file) => file.path).join(', ')}`);
  if (!paths.has('LICENSE')) problems.push('no LICENSE in the tarball (pnpm pack copies the root LICENSE when the package has none)');
  const compiled = files.filter(({ path }) => path.startsWith('dist/') && path.endsWith('.js')).length;
  if (compiled === 0) problems.push('no compiled JavaScript under dist/');
  if (name === '@heed/tensor' && Object.keys(manifest.dependencies ?? {}).length > 0) problems.push('@heed/tensor has runtime dependencies');
  return problems;
}

/** The README a user reads on npm: how to install the package and a first example. */
function readmeProblems({ name }, { readme }) {
  if (readme === null) return [`no README.md in the package (write packages/${name.split('/')[1]}/README.md)`];
  const problems = [];
  const escaped = name.replace('/', '\\/');
  if (!new RegExp(`(npm (install|i)|pnpm add|yarn add)[^\\n]* ${escaped}`).test(readme)) problems.push(`README.md shows no \`npm install ${name}\``);
  if (!new RegExp(`\`\`\`(ts|typescript|js|javascript)\\n[^]*?from ['"]${escaped}['"]`).test(readme)) problems.push(`README.md has no ts/js example importing from '${name}'`);
  return problems;
}

/**
 * Deletes compiled files whose source is gone (a renamed or deleted module), so they are not
 * packed: tsc and turbo's cache only ever add files to dist/.
 */
function pruneStaleOutput({ path }) {
  const dist = join(path, 'dist');
  if (!existsSync(dist)) return;
  const walk = (folder) =>
    readdirSync(folder).flatMap((name) => {
      const full = join(folder, name);
      return statSync(full).isDirectory() ? walk(full) : [full];
    });
  for (const file of walk(dist)) {
    // Only what tsc writes; anything else in dist/ (copied assets) is left alone.
    const compiled = /^(.*?)(\.d\.ts|\.js)(\.map)?$/.exec(relative(dist, file));
    if (!compiled) continue;
    const stem = compiled[1];
    const hasSource = ['.ts', '.tsx', '.mts', '.js', '.mjs'].some((extension) => existsSync(join(path, 'src', `${stem}${extension}`)));
    if (!hasSource || /\.(test|bench)$/.test(stem)) {
      rmSync(file);
      console.log(`  removed stale build output ${relative(root, file)}`);
    }
  }
}
