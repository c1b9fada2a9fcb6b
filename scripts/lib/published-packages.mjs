// What scripts/test-build.mjs and scripts/test-install.mjs share: the list of published
// packages in dependency order, a pnpm that starts fast, packing with pnpm (which rewrites
// `workspace:^` the way `pnpm publish` does), reading a packed tarball, and a pass/fail tally.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The packages this repository publishes, in the order they are published. */
export const publishedNames = ['@heed/tensor', '@heed/scoring', '@heed/attention', '@heed/rnn', '@heed/gpu'];

/**
 * Published packages that exist in this checkout, dependencies first.
 * @returns {{ name: string, dir: string, path: string, manifest: any, internal: string[] }[]}
 */
export function publishedPackages() {
  const found = new Map();
  for (const dir of readdirSync(join(root, 'packages'))) {
    const file = join(root, 'packages', dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    if (manifest.private || !publishedNames.includes(manifest.name)) continue;
    const declared = { ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies };
    const internal = Object.keys(declared).filter((name) => publishedNames.includes(name));
    found.set(manifest.name, { name: manifest.name, dir: `packages/${dir}`, path: join(root, 'packages', dir), manifest, internal });
  }
  const ordered = [];
  const visit = (name, trail) => {
    const entry = found.get(name);
    if (!entry || ordered.includes(entry)) return;
    if (trail.includes(name)) throw new Error(`dependency cycle: ${[...trail, name].join(' → ')}`);
    for (const dependency of entry.internal) visit(dependency, [...trail, name]);
    ordered.push(entry);
  };
  for (const name of publishedNames) visit(name, []);
  return ordered;
}

let pnpmPrefix;
/**
 * The command that runs the pinned pnpm without going through npx each time: the pnpm that is
 * running us (`npm_execpath`), a `pnpm` on PATH at the pinned version, or the one npx installs.
 */
export function pnpm() {
  if (pnpmPrefix) return pnpmPrefix;
  const wanted = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];
  const candidates = [];
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm\.c?js$/.test(basename(execPath))) candidates.push([process.execPath, execPath]);
  candidates.push(['pnpm']);
  for (const candidate of candidates) {
    const probe = spawnSync(candidate[0], [...candidate.slice(1), '--version'], { encoding: 'utf8' });
    if (probe.status === 0 && probe.stdout.trim() === wanted) return (pnpmPrefix = candidate);
  }
  const located = spawnSync('npx', ['--yes', `--package=pnpm@${wanted}`, '-c', 'command -v pnpm'], { encoding: 'utf8' });
  const path = located.stdout.trim().split('\n').at(-1);
  if (located.status !== 0 || !path) throw new Error(`cannot find pnpm ${wanted}: ${located.stderr}`);
  return (pnpmPrefix = [path]);
}

/**
 * Runs a command and captures its output.
 * @returns {{ ok: boolean, status: number | null, output: string, seconds: number }}
 */
export function run(command, args, options = {}) {
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    ...options,
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', ...options.env },
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `\n${result.error.message}` : ''}`;
  return { ok: result.status === 0, status: result.status, output, seconds: (Date.now() - started) / 1000 };
}

let pnpmShimFolder;
/**
 * PATH with a `pnpm` that runs the pinned pnpm first: turbo looks the package manager up on PATH.
 * The shim lives in a temporary folder that is removed when the process exits.
 */
export function pathWithPnpm() {
  if (!pnpmShimFolder) {
    pnpmShimFolder = mkdtempSync(join(tmpdir(), 'heed-pnpm-'));
    const shim = join(pnpmShimFolder, 'pnpm');
    writeFileSync(shim, `#!/bin/sh\nexec ${pnpm().map((part) => `'${part}'`).join(' ')} "$@"\n`);
    chmodSync(shim, 0o755);
    process.on('exit', () => rmSync(pnpmShimFolder, { recursive: true, force: true }));
  }
  return `${pnpmShimFolder}${delimiter}${process.env.PATH ?? ''}`;
}

/** `run` without blocking: resolves with the same shape when the command exits. */
export function runAsync(command, args, options = {}) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: root,
      ...options,
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => (output += `\n${error.message}`));
    child.on('close', (status) => resolve({ ok: status === 0, status, output, seconds: (Date.now() - started) / 1000 }));
  });
}

/** Maps `items` through the async `work`, at most `limit` at a time, keeping their order. */
export async function mapLimited(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Runs pnpm with `args` from the workspace root. */
export function runPnpm(args, options = {}) {
  const [command, ...prefix] = pnpm();
  return run(command, [...prefix, ...args], options);
}

/**
 * Builds the given packages (and what they depend on) with one turbo run, two tasks at a time;
 * turbo's cache makes a rebuild free when nothing changed. Each package gets its own verdict and
 * its own log lines; a package whose dependency failed is not built.
 * @returns {Map<string, { ok: boolean, detail: string }>}
 */
export function buildPackages(packages) {
  const filters = packages.map((entry) => `--filter=${entry.name}`);
  const build = run(
    join(root, 'node_modules/.bin/turbo'),
    ['run', 'build', ...filters, '--continue=dependencies-successful', '--summarize', '--output-logs=errors-only'],
    { env: { PATH: pathWithPnpm() } },
  );
  const summaryPath = /^\s*Summary:\s+(\S+\.json)\s*$/m.exec(build.output)?.[1];
  const tasks = new Map();
  if (summaryPath && existsSync(summaryPath)) {
    for (const task of JSON.parse(readFileSync(summaryPath, 'utf8')).tasks) tasks.set(task.package, task);
    rmSync(summaryPath, { force: true });
  }
  const results = new Map();
  for (const entry of packages) {
    const task = tasks.get(entry.name);
    const ok = task?.execution?.exitCode === 0;
    const logs = build.output.split('\n').filter((line) => line.startsWith(`${entry.name}:build:`) || line.startsWith(`${entry.name}#build:`));
    const broken = entry.internal.filter((name) => results.get(name)?.ok === false);
    let detail;
    if (ok) detail = task.cache?.status === 'HIT' ? 'turbo cache hit' : `${((task.execution.endTime - task.execution.startTime) / 1000).toFixed(1)} s`;
    else if (broken.length > 0 && !task?.execution) detail = `      not built: ${broken.join(', ')} failed to build`;
    else detail = tail(logs.length > 0 ? logs.join('\n') : build.output, 40);
    results.set(entry.name, { ok, detail });
  }
  return results;
}

/**
 * Packs packages with `pnpm pack` into `destination` (one pnpm run for all of them).
 * @returns {Map<string, string>} package name → tarball path
 */
export function packPackages(packages, destination) {
  const filters = packages.flatMap((entry) => ['--filter', entry.name]);
  const packed = runPnpm(['-r', ...filters, 'pack', '--pack-destination', destination]);
  if (!packed.ok) throw new Error(`pnpm pack failed:\n${tail(packed.output, 40)}`);
  const tarballs = new Map();
  for (const entry of packages) {
    const file = join(destination, `${entry.name.replace('@', '').replace('/', '-')}-${entry.manifest.version}.tgz`);
    if (!existsSync(file)) throw new Error(`pnpm pack wrote no ${basename(file)}`);
    tarballs.set(entry.name, file);
  }
  return tarballs;
}

/**
 * Reads a package tarball: its files with sizes, the packed and unpacked size (as `npm pack`
 * reports them: the .tgz size and the sum of the file sizes), the packed package.json and README.
 */
export function readTarball(file) {
  const packed = readFileSync(file);
  const tar = gunzipSync(packed);
  const files = [];
  let manifest = null;
  let readme = null;
  let longName = null;
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const field = (start, length) => header.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const body = tar.subarray(offset + 512, offset + 512 + size);
    if (type === 'x') {
      const path = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      longName = path ? path[1] : null;
    } else if (type === '0' || type === '7') {
      const prefix = field(345, 155);
      const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
      const path = name.replace(/^[^/]+\//, '');
      files.push({ path, size });
      if (path === 'package.json') manifest = JSON.parse(body.toString('utf8'));
      if (/^readme\.md$/i.test(path)) readme = body.toString('utf8');
      longName = null;
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return { files, manifest, readme, packedSize: packed.length, unpackedSize: files.reduce((sum, entry) => sum + entry.size, 0) };
}

/** Human-readable size, in the units `npm pack` prints. */
export function formatBytes(bytes) {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

/** The last `lines` lines of `text`, indented, for failure details. */
export function tail(text, lines = 20) {
  return text.trimEnd().split('\n').slice(-lines).map((line) => `      ${line}`).join('\n');
}

/** Counts checks and prints each one as it is decided; `summary()` is the closing line. */
export class Tally {
  passed = 0;
  failed = 0;
  skipped = 0;

  check(name, ok, detail = '') {
    if (ok) this.passed += 1;
    else this.failed += 1;
    console.log(`${ok ? '  ok  ' : '  FAIL'} ${name}${detail ? `${ok ? ': ' : '\n'}${detail}` : ''}`);
    return ok;
  }

  skip(name, reason) {
    this.skipped += 1;
    console.log(`  skip ${name}: ${reason}`);
  }

  summary(withSkipped = false) {
    return `${this.passed} passed, ${this.failed} failed${withSkipped ? `, ${this.skipped} skipped` : ''}`;
  }
}
