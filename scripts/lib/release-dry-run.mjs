// `pnpm release` for real, against the throwaway registry: a copy of the working tree (tracked
// and untracked files, as git sees them) gets its own git repository and install, then the root
// `release` script runs unchanged (turbo build → changeset version → changeset publish). The
// registry then must serve every package at its new version, with internal dependencies as
// plain ranges, and each package must have a CHANGELOG.md. The real repository is not touched.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fetchWithRetry } from './local-registry.mjs';
import { pathWithPnpm, pnpm, publishedNames, root, run, tail } from './published-packages.mjs';

function readVersion(folder, name) {
  const path = join(folder, 'packages', name.split('/')[1], 'package.json');
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')).version : undefined;
}

/** Copies the files git would commit from the working tree (tracked and untracked, not ignored). */
function copyWorkingTree(destination) {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  let count = 0;
  for (const path of new Set(listed.stdout.split('\0').filter(Boolean))) {
    const source = join(root, path);
    const stats = statSync(source, { throwIfNoEntry: false });
    if (!stats?.isFile()) continue;
    mkdirSync(dirname(join(destination, path)), { recursive: true });
    copyFileSync(source, join(destination, path));
    count += 1;
  }
  return count;
}

/**
 * Gives the copy the workspace's installed modules without reinstalling: pnpm's virtual store
 * (`node_modules/.pnpm`) is shared through one symlink, and every other entry of the root's and
 * each package's node_modules is copied as it is (pnpm links are relative, so `@heed/*` links
 * point at the copy's own packages). Returns false when the layout is not pnpm's isolated one;
 * the caller then runs `pnpm install`.
 */
function linkInstalledModules(folder) {
  const store = join(root, 'node_modules/.pnpm');
  if (!existsSync(store) || lstatSync(join(root, 'node_modules')).isSymbolicLink()) return false;
  const copyModules = (from, to, shareStore) => {
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from)) {
      const entry = lstatSync(join(from, name));
      if (shareStore && name === '.pnpm') symlinkSync(store, join(to, name));
      // links, files, bin shims and @scope folders of links; not tool caches such as .vite
      else if (!entry.isDirectory() || name === '.bin' || name.startsWith('@')) {
        cpSync(join(from, name), join(to, name), { recursive: true, verbatimSymlinks: true });
      }
    }
  };
  copyModules(join(root, 'node_modules'), join(folder, 'node_modules'), true);
  for (const parent of ['packages', 'apps']) {
    if (!existsSync(join(root, parent))) continue;
    for (const name of readdirSync(join(root, parent))) {
      const modules = join(root, parent, name, 'node_modules');
      if (existsSync(modules) && existsSync(join(folder, parent, name))) copyModules(modules, join(folder, parent, name, 'node_modules'), false);
    }
  }
  return true;
}

/**
 * Runs the root `release` script in a copy of the workspace, publishing to `registry`.
 * @param {{ registry: { url: string }, npmrc: string, folder: string, tally: import('./published-packages.mjs').Tally }} options
 * @returns {Promise<{ versions: Map<string, string> } | null>}
 */
export async function releaseDryRun({ registry, npmrc, folder, tally }) {
  const copied = copyWorkingTree(folder);
  const git = (...args) => run('git', ['-c', 'user.name=heed release test', '-c', 'user.email=release-test@localhost', ...args], { cwd: folder });
  const committed = [git('init', '-q', '-b', 'main'), git('add', '-A'), git('commit', '-q', '-m', 'release dry run')].every((step) => step.ok);
  if (!tally.check('copy of the working tree in its own git repository', committed, committed ? `${copied} files` : '      git init/commit failed')) return null;

  const env = {
    PATH: pathWithPnpm(),
    npm_config_userconfig: npmrc,
    npm_config_registry: registry.url,
    // Same inputs, same hashes: the copy reuses the workspace's turbo cache instead of rebuilding.
    TURBO_CACHE_DIR: join(root, '.turbo/cache'),
    CI: '1',
  };
  const [command, ...prefix] = pnpm();
  if (!linkInstalledModules(folder)) {
    const install = run(command, [...prefix, 'install', '--frozen-lockfile', '--prefer-offline', '--reporter=append-only'], { cwd: folder, env, timeout: 300_000 });
    if (!tally.check('pnpm install --frozen-lockfile in the copy', install.ok, install.ok ? `${install.seconds.toFixed(1)} s` : tail(install.output, 20))) return null;
  }

  const changesets = join(folder, '.changeset');
  const pending = existsSync(changesets) ? readdirSync(changesets).filter((name) => name.endsWith('.md') && name !== 'README.md') : [];
  const majorRequested = pending.some((file) => /:\s*major\s*$/m.test(/^---\n([^]*?)\n---/.exec(readFileSync(join(changesets, file), 'utf8'))?.[1] ?? ''));
  const oldVersions = new Map(publishedNames.map((name) => [name, readVersion(folder, name)]));
  const release = run(command, [...prefix, 'run', 'release'], { cwd: folder, env, timeout: 300_000 });
  if (!tally.check('pnpm release (turbo build → changeset version → changeset publish)', release.ok, release.ok ? `${pending.length} changesets, ${release.seconds.toFixed(1)} s` : tail(release.output, 40))) return null;

  const versions = new Map();
  for (const name of publishedNames) {
    const manifestPath = join(folder, 'packages', name.split('/')[1], 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    versions.set(name, manifest.version);
    const response = await fetchWithRetry(`${registry.url}${name.replace('/', '%2f')}`);
    const packument = response.ok ? await response.json() : null;
    const published = packument?.versions?.[manifest.version];
    const problems = [];
    if (!published) problems.push(`the registry has no ${name}@${manifest.version}`);
    else {
      if (packument['dist-tags']?.latest !== manifest.version) problems.push(`latest is ${packument['dist-tags']?.latest}, not ${manifest.version}`);
      for (const field of ['dependencies', 'peerDependencies']) {
        for (const [dependency, range] of Object.entries(published[field] ?? {})) {
          if (!publishedNames.includes(dependency)) continue;
          if (String(range).startsWith('workspace:')) problems.push(`${field}["${dependency}"] was published as "${range}"`);
        }
      }
    }
    const oldMajor = oldVersions.get(name)?.split('.')[0];
    if (!majorRequested && manifest.version.split('.')[0] !== oldMajor) problems.push(`went from ${oldVersions.get(name)} to ${manifest.version}, but no changeset asks for a major release`);
    if (pending.length > 0 && !existsSync(join(dirname(manifestPath), 'CHANGELOG.md'))) problems.push('changeset version wrote no CHANGELOG.md');
    tally.check(`released ${name}@${manifest.version}`, problems.length === 0, problems.map((problem) => `      ${problem}`).join('\n'));
  }
  if (pending.length > 0) {
    const tags = git('tag', '--list').output.trim().split('\n').filter(Boolean);
    tally.check('changeset publish tagged the release in git', tags.length > 0, tags.join(', '));
  }
  return { versions };
}
