/**
 * What a result was measured on: CPU, cores, memory, Node and V8, the git commit, and the
 * versions of heed's packages and of every peer library, read from their package.json files.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The machine and software a run measured. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  /** SIMD extensions the CPU reports (Linux only), e.g. `avx2`, `avx512f`. */
  simd: string[];
  memoryBytes: number;
  platform: string;
  arch: string;
  node: string;
  v8: string;
  loadAverage: number[];
  hostname: string;
  gitCommit: string | null;
  gitDirty: boolean | null;
}

const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(appRoot, 'package.json'));

function cpuFlags(): string[] {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const line = /^flags\s*:\s*(.*)$/m.exec(info);
    if (!line) return [];
    const flags = new Set(line[1].split(/\s+/));
    return ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx512_bf16'].filter((flag) => flags.has(flag));
  } catch {
    return [];
  }
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: appRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Describes this machine. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    simd: cpuFlags(),
    memoryBytes: os.totalmem(),
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    node: process.version,
    v8: process.versions.v8,
    loadAverage: os.loadavg(),
    hostname: os.hostname(),
    gitCommit: git(['rev-parse', 'HEAD']),
    gitDirty: status === null ? null : status.length > 0,
  };
}

/** A one-line description such as "AMD EPYC, 2 cores (avx512f), 23.4 GiB, Node v20.20.2". */
export function describeMachine(info: MachineInfo): string {
  const gib = (info.memoryBytes / 2 ** 30).toFixed(1);
  const simd = info.simd.filter((flag) => flag.startsWith('avx'));
  return `${info.cpu}, ${info.cores} cores${simd.length ? ` (${simd.join(' ')})` : ''}, ${gib} GiB, Node ${info.node}, ${info.platform}, load average ${info.loadAverage[0].toFixed(1)} at the start`;
}

/** The installed version of a package the app can resolve, or null when it is not installed. */
export function packageVersion(name: string): string | null {
  try {
    const manifest = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    // Some packages do not export their package.json: walk up from the main entry instead.
    try {
      let folder = dirname(require.resolve(name));
      for (let depth = 0; depth < 6; depth++) {
        try {
          const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name?: string; version?: string };
          if (manifest.name === name) return manifest.version ?? null;
        } catch {
          // keep walking
        }
        folder = dirname(folder);
      }
    } catch {
      return null;
    }
    return null;
  }
}

/** The version of `name` as `owner` (a package the app depends on) sees it, for indirect dependencies. */
function versionVia(owner: string, name: string): string | null {
  try {
    const ownerRequire = createRequire(require.resolve(`${owner}/package.json`));
    return (JSON.parse(readFileSync(ownerRequire.resolve(`${name}/package.json`), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** Versions of heed's packages and the peers, keyed by package name (null: not installed). */
export function softwareVersions(): Record<string, string | null> {
  const names = [
    '@heed/tensor',
    '@heed/scoring',
    '@heed/attention',
    '@heed/rnn',
    '@heed/gpu',
    '@tensorflow/tfjs-core',
    '@tensorflow/tfjs-backend-cpu',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-layers',
    'onnxruntime-node',
    'brain.js',
  ];
  return { ...Object.fromEntries(names.map((name) => [name, packageVersion(name)])), 'gpu.js': versionVia('@heed/gpu', 'gpu.js') ?? versionVia('brain.js', 'gpu.js') };
}
