#!/usr/bin/env node
// The real install test: every published package is built, packed with pnpm (so `workspace:^`
// becomes a version, as on publish) and published to a throwaway Verdaccio on 127.0.0.1. Then,
// in empty folders outside the workspace, `npm install @heed/attention`, `@heed/rnn` and
// `@heed/gpu` from that registry only, and a small script computes attention / an LSTM forward /
// a matmul on the gpu.js `webasm` backend and checks the numbers against plain JavaScript
// (scripts/install-check/), in Node and, bundled by esbuild, in headless Chromium.
// Third-party packages are proxied from the registry npm is configured with here.
//   node scripts/test-install.mjs          (run by `npm test` when this file exists)
// Prints the packed/unpacked size of every package and ends with `N passed, M failed, K skipped`.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startRegistry } from './lib/local-registry.mjs';
import { releaseDryRun } from './lib/release-dry-run.mjs';
import {
  Tally,
  buildPackages,
  formatBytes,
  mapLimited,
  packPackages,
  publishedPackages,
  readTarball,
  root,
  run,
  runAsync,
  tail,
} from './lib/published-packages.mjs';

/** What a user installs on its own, and the check that runs after the install. */
const targets = [
  { name: '@heed/attention', check: 'attention-check.mjs', npmFlags: [] },
  { name: '@heed/rnn', check: 'rnn-check.mjs', npmFlags: [] },
  // gpu.js lists the native `gl` (headless GL) as optional: it must not be needed for `webasm`.
  { name: '@heed/gpu', check: 'gpu-check.mjs', npmFlags: ['--omit=optional'] },
];
const chromiumPath = '/usr/bin/chromium';
const checksFolder = join(root, 'scripts/install-check');

/**
 * Runs a check in Node and records every native addon loaded meanwhile (`process.dlopen` sees
 * each `.node` file), so "runs without native modules" is observed, not assumed.
 */
const nodeCheckSource = `const loaded = [];
const dlopen = process.dlopen;
process.dlopen = function (module, filename, ...rest) {
  loaded.push(filename);
  return dlopen.call(this, module, filename, ...rest);
};
const { run } = await import('./check.mjs');
const results = await run();
results.push({ name: 'no native addon loaded', ok: loaded.length === 0, detail: loaded.join(', ') });
console.log(\`RESULTS \${JSON.stringify(results)}\`);
`;

const started = Date.now();
/** A section heading with the seconds since the start, so slow phases are visible. */
const heading = (text) => console.log(`\n── ${text} [${((Date.now() - started) / 1000).toFixed(0)} s]`);
const tally = new Tally();
const scratch = mkdtempSync(join(tmpdir(), 'heed-test-install-'));
let registry = null;
let browser = null;
const cleanUp = () => {
  registry?.stopSync();
  rmSync(scratch, { recursive: true, force: true });
};
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(130));

try {
  await main();
} catch (error) {
  tally.check('install test ran to the end', false, tail(String(error?.stack ?? error), 30));
} finally {
  await browser?.close().catch(() => {});
  await registry?.stop();
}
console.log(`\n${tally.summary(true)}`);
process.exit(tally.failed > 0 ? 1 : 0);

async function main() {
  const packages = publishedPackages();
  const byName = new Map(packages.map((entry) => [entry.name, entry]));

  heading('build and pack (turbo run build, pnpm pack)');
  const builds = buildPackages(packages);
  const built = packages.filter((entry) => {
    const { ok, detail } = builds.get(entry.name);
    if (!ok) tally.check(`${entry.name} builds`, false, detail);
    return ok;
  });
  const packFolder = join(scratch, 'packs');
  mkdirSync(packFolder);
  const tarballs = built.length > 0 ? packPackages(built, packFolder) : new Map();
  const sizes = new Map([...tarballs].map(([name, file]) => [name, readTarball(file)]));
  const tensor = sizes.get('@heed/tensor')?.manifest;
  if (tensor) {
    const runtime = Object.keys({ ...tensor.dependencies, ...tensor.peerDependencies, ...tensor.optionalDependencies });
    tally.check('@heed/tensor has no runtime dependencies', runtime.length === 0, runtime.length ? `      it depends on ${runtime.join(', ')}` : '');
  }

  heading('local registry (Verdaccio)');
  registry = await startRegistry(join(scratch, 'registry'));
  console.log(`  ${registry.url}, proxying other packages from the registry npm is configured with`);
  const npmrc = join(scratch, 'npmrc');
  writeFileSync(npmrc, `registry=${registry.url}\n${registry.authFlag.slice(2)}\n`);
  // Only this registry: the user's own npmrc (scoped registries, tokens) is left out.
  const npmEnv = { npm_config_userconfig: npmrc, npm_config_registry: registry.url, npm_config_update_notifier: 'false' };
  const published = new Set();
  const publishes = await mapLimited(
    packages.filter((entry) => tarballs.has(entry.name)),
    3,
    (entry) => runAsync('npm', ['publish', tarballs.get(entry.name), '--registry', registry.url, registry.authFlag, '--access', 'public'], { cwd: scratch, env: npmEnv }),
  );
  packages
    .filter((entry) => tarballs.has(entry.name))
    .forEach((entry, index) => {
      const result = publishes[index];
      if (tally.check(`publish ${entry.name}`, result.ok, result.ok ? '' : tail(result.output, 15))) published.add(entry.name);
    });

  // npm installs wait on the network more than on the CPU: start them all, then check in order.
  const runnable = targets.filter((target) => {
    const entry = byName.get(target.name);
    if (!entry) return false;
    return [entry.name, ...requiredClosure(entry, byName)].every((name) => published.has(name));
  });
  const installing = new Map(runnable.map((target) => [target.name, startInstall(target, npmEnv)]));
  const installs = [];
  for (const target of targets) {
    heading(`npm install ${target.name}`);
    const entry = byName.get(target.name);
    if (!entry) {
      tally.skip(`install ${target.name}`, `packages/${target.name.split('/')[1]} does not exist in this checkout yet`);
      continue;
    }
    if (!installing.has(target.name)) {
      const missing = [entry.name, ...requiredClosure(entry, byName)].filter((name) => !published.has(name));
      tally.check(`install ${target.name}`, false, `      not published (build or publish failed): ${missing.join(', ')}`);
      continue;
    }
    installs.push(await checkInstall(target, await installing.get(target.name)));
  }

  heading('release dry run: pnpm release in a copy of the workspace, publishing to the local registry');
  if (published.size === packages.length) await releaseDryRun({ registry, npmrc, folder: join(scratch, 'release'), tally });
  else tally.check('pnpm release', false, '      not tried: some packages failed to build or publish above');

  printSizes(packages, sizes, installs);
}

/** The internal packages `entry` needs at runtime, transitively. */
function requiredClosure(entry, byName) {
  const needed = new Set();
  const visit = (current) => {
    for (const name of current.internal) {
      if (needed.has(name)) continue;
      needed.add(name);
      if (byName.has(name)) visit(byName.get(name));
    }
  };
  visit(entry);
  return [...needed];
}

/** Runs `npm install <package>` in a new empty project; resolves with the project and the result. */
async function startInstall(target, npmEnv) {
  const short = target.name.split('/')[1];
  const project = join(scratch, `install-${short}`);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: `heed-install-${short}`, private: true, type: 'module' }, null, 2)}\n`);
  const install = await runAsync(
    'npm',
    ['install', target.name, '--registry', registry.url, '--prefer-online', '--no-audit', '--no-fund', '--loglevel=error', ...target.npmFlags],
    { cwd: project, env: npmEnv, timeout: 300_000 },
  );
  return { project, install };
}

/** Checks one install, then runs its check script in Node and in Chromium. */
async function checkInstall(target, { project, install }) {
  const installed = install.ok ? installedPackages(project) : [];
  const summary = { name: target.name, flags: target.npmFlags, seconds: install.seconds, packages: installed.length, bytes: folderSize(join(project, 'node_modules')), binaries: 0, bundle: null };
  if (!tally.check(`npm install ${target.name} ${target.npmFlags.join(' ')}`.trim(), install.ok, install.ok ? `${installed.length} packages in ${install.seconds.toFixed(1)} s` : tail(install.output, 25))) {
    return summary;
  }

  const foreign = installed.filter((entry) => entry.resolved && !entry.resolved.startsWith(registry.url));
  tally.check('every package came from the local registry', foreign.length === 0, foreign.length ? `      ${foreign.map((entry) => `${entry.path} ← ${entry.resolved}`).join('\n      ')}` : '');
  const native = installed.filter((entry) => entry.native);
  tally.check('nothing compiles native code at install (no install scripts, no binding.gyp)', native.length === 0, native.length ? `      ${native.map((entry) => entry.path).join(', ')}` : '');
  const binaries = prebuiltBinaries(join(project, 'node_modules'));
  summary.binaries = binaries.reduce((sum, binary) => sum + binary.size, 0);
  if (binaries.length > 0) {
    const owners = [...new Set(binaries.map((binary) => binary.owner))];
    console.log(`  note: prebuilt native binaries installed (${formatBytes(summary.binaries)}) by ${owners.join(', ')}; the check below proves none is loaded`);
  }
  if (target.npmFlags.includes('--omit=optional')) {
    const optional = installed.filter((entry) => entry.optional).map((entry) => entry.path);
    tally.check('optional dependencies (gl) were left out', !existsSync(join(project, 'node_modules/gl')), optional.length ? `      still installed: ${optional.join(', ')}` : 'node_modules/gl absent');
  }

  copyFileSync(join(checksFolder, 'reference-math.mjs'), join(project, 'reference-math.mjs'));
  copyFileSync(join(checksFolder, target.check), join(project, 'check.mjs'));
  writeFileSync(join(project, 'node-check.mjs'), nodeCheckSource);
  writeFileSync(join(project, 'browser-check.mjs'), "import { run } from './check.mjs';\nglobalThis.heedInstallCheck = run;\n");

  const node = run(process.execPath, ['node-check.mjs'], { cwd: project, timeout: 180_000 });
  reportResults('Node', node.ok, node.output);

  const bundle = await bundleForBrowser(project);
  if (!tally.check('esbuild bundles the check for the browser', bundle.ok, bundle.detail)) return summary;
  summary.bundle = bundle.bytes;
  const page = await runInChromium(bundle.file);
  if (page.error) tally.check('Chromium runs the bundle', false, tail(page.error, 20));
  else for (const result of page.results) tally.check(`Chromium: ${result.name}`, result.ok, result.detail);
  return summary;
}

/** Prebuilt `.node` binaries under a node_modules folder, with the package that ships each one. */
function prebuiltBinaries(folder) {
  const found = [];
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.node')) {
        const inner = `node_modules/${relative(folder, full)}`.split('node_modules/').at(-1).split('/');
        found.push({ owner: inner[0].startsWith('@') ? `${inner[0]}/${inner[1]}` : inner[0], size: statSync(full).size });
      }
    }
  };
  if (existsSync(folder)) walk(folder);
  return found;
}

/** Tallies the `RESULTS [...]` line a check prints, or fails with the output when there is none. */
function reportResults(where, ok, output) {
  const line = output.split('\n').find((candidate) => candidate.startsWith('RESULTS '));
  if (!ok || !line) {
    tally.check(`${where}: the check script runs`, false, tail(output, 25));
    return;
  }
  for (const result of JSON.parse(line.slice('RESULTS '.length))) tally.check(`${where}: ${result.name}`, result.ok, result.detail);
}

/** Installed packages from npm's hidden lockfile, with whether each one builds native code. */
function installedPackages(project) {
  const lock = JSON.parse(readFileSync(join(project, 'node_modules/.package-lock.json'), 'utf8'));
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith('node_modules/') && !entry.link)
    .map(([path, entry]) => {
      const folder = join(project, path);
      const scripts = existsSync(join(folder, 'package.json')) ? (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')).scripts ?? {}) : {};
      const builds = existsSync(join(folder, 'binding.gyp')) || ['preinstall', 'install', 'postinstall'].some((name) => name in scripts);
      return { path, resolved: entry.resolved, optional: Boolean(entry.optional), native: builds || Boolean(entry.hasInstallScript) };
    });
}

function folderSize(folder) {
  if (!existsSync(folder)) return 0;
  let total = 0;
  for (const name of readdirSync(folder)) {
    const full = join(folder, name);
    const stats = statSync(full, { throwIfNoEntry: false });
    if (!stats) continue;
    total += stats.isDirectory() ? folderSize(full) : stats.size;
  }
  return total;
}

/** Bundles browser-check.mjs with esbuild, resolving packages from the install (not the workspace). */
async function bundleForBrowser(project) {
  const { build } = await import('esbuild');
  const file = join(project, 'bundle.js');
  try {
    await build({
      absWorkingDir: project,
      entryPoints: ['browser-check.mjs'],
      bundle: true,
      minify: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      outfile: file,
      logLevel: 'silent',
    });
    const bytes = statSync(file).size;
    return { ok: true, file, bytes, detail: `${formatBytes(bytes)} minified` };
  } catch (error) {
    return { ok: false, detail: tail(String(error?.message ?? error), 25) };
  }
}

/** Loads the bundle into a blank page of headless Debian Chromium and runs the check there. */
async function runInChromium(bundleFile) {
  if (!existsSync(chromiumPath)) {
    console.log(`  ${chromiumPath} is missing: apt-get install -y chromium`);
    const aptGet = (...args) => spawnSync('apt-get', ['-q', '-o', 'DPkg::Lock::Timeout=300', ...args], { encoding: 'utf8' });
    let apt = aptGet('install', '-y', 'chromium');
    if (apt.status !== 0) {
      aptGet('update'); // a fresh machine may have no package lists yet
      apt = aptGet('install', '-y', 'chromium');
    }
    if (!existsSync(chromiumPath)) return { error: `no ${chromiumPath}, and apt-get install chromium failed:\n${apt.stdout ?? ''}${apt.stderr ?? ''}${apt.error?.message ?? ''}` };
  }
  if (!browser) {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error?.stack ?? error)));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  try {
    await page.setContent('<!doctype html><title>heed install check</title>');
    await page.addScriptTag({ content: readFileSync(bundleFile, 'utf8') });
    const results = await page.evaluate(() => globalThis.heedInstallCheck(), undefined, { timeout: 180_000 });
    return { results };
  } catch (error) {
    return { error: [String(error?.message ?? error), ...errors].join('\n') };
  } finally {
    await page.close();
  }
}

/** The figures the issue asks for: tarball sizes per package, and what each install brings. */
function printSizes(packages, sizes, installs) {
  heading('package sizes (pnpm pack; unpacked = sum of file sizes, as npm reports it)');
  const rows = [['package', 'packed', 'unpacked', 'files']];
  for (const entry of packages) {
    const size = sizes.get(entry.name);
    if (size) rows.push([entry.name, formatBytes(size.packedSize), formatBytes(size.unpackedSize), String(size.files.length)]);
  }
  printTable(rows);
  if (installs.length === 0) return;
  heading('installs (empty project, npm, from the local registry)');
  const installRows = [['npm install', 'packages', 'node_modules', 'of which prebuilt .node', 'browser bundle (minified)', 'install time (in parallel)']];
  for (const install of installs) {
    installRows.push([
      [install.name, ...install.flags].join(' '),
      String(install.packages),
      formatBytes(install.bytes),
      install.binaries ? formatBytes(install.binaries) : '-',
      install.bundle === null ? '-' : formatBytes(install.bundle),
      `${install.seconds.toFixed(1)} s`,
    ]);
  }
  printTable(installRows);
}

function printTable(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows) console.log(`  ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')}`);
}
