#!/usr/bin/env node
// Runs pnpm at the version pinned in package.json's `packageManager`, installing nothing globally:
// a pnpm already on PATH at that version is used, otherwise `npx --yes pnpm@<version>`.
//   node scripts/pnpm.mjs <pnpm args…>
//   node scripts/pnpm.mjs install-and-run <script> [args…]   (install the workspace, then run a script)
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wanted = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: process.platform === 'win32' });
  if (probe.status === 0 && probe.stdout.trim() === wanted) return ['pnpm', []];
  return ['npx', ['--yes', `pnpm@${wanted}`]];
}

function run(args) {
  const [command, prefix] = pnpmCommand();
  const result = spawnSync(command, [...prefix, ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, COREPACK_ENABLE_STRICT: '0' },
    shell: process.platform === 'win32',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const [first, ...rest] = process.argv.slice(2);
if (first === 'install-and-run') {
  const [script, ...scriptArgs] = rest;
  const frozen = existsSync(join(root, 'pnpm-lock.yaml')) ? ['--frozen-lockfile'] : [];
  run(['install', ...frozen, '--reporter=append-only']);
  run(['run', script, ...(scriptArgs.length > 0 ? ['--', ...scriptArgs] : [])]);
} else {
  run([first, ...rest].filter((a) => a !== undefined));
}
