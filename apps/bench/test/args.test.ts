import { describe, expect, it } from 'vitest';
import { expandBackendNames } from '../src/backends/backends.js';
import { SUITES, UsageError, parseArgs, usage } from '../src/cli/args.js';

describe('parseArgs', () => {
  it('defaults to a quick run of every suite on every backend', () => {
    const options = parseArgs([], 'results');
    expect(options).toMatchObject({ preset: 'quick', suites: [...SUITES], backends: ['all'], outDir: 'results', json: false, help: false });
  });

  it('reads presets, suites, backends, output folder, seed and json', () => {
    const options = parseArgs(['--full', '--suite', 'peers,speed', '--backend=cpu,gpu:webasm', '--out', '/tmp/run', '--seed', '7', '--json'], 'results');
    expect(options.preset).toBe('full');
    expect(options.suites).toEqual(['speed', 'peers']); // always in run order
    expect(options.backends).toEqual(['cpu', 'gpu:webasm']);
    expect(options.outDir).toBe('/tmp/run');
    expect(options.seed).toBe(7);
    expect(options.json).toBe(true);
  });

  it('skips the separator pnpm forwards and accepts repeated --suite', () => {
    expect(parseArgs(['--', '--suite', 'learn', '--suite', 'gradients'], 'r').suites).toEqual(['learn', 'gradients']);
    expect(parseArgs(['--suite', 'all'], 'r').suites).toEqual([...SUITES]);
  });

  it('recognises --help and -h', () => {
    expect(parseArgs(['--help'], 'r').help).toBe(true);
    expect(parseArgs(['-h'], 'r').help).toBe(true);
    expect(usage('results')).toContain('--suite');
  });

  it.each([
    [['--bogus'], /unknown flag --bogus/],
    [['stray'], /unexpected argument "stray"/],
    [['--suite', 'nope'], /unknown suite "nope"/],
    [['--suite'], /--suite needs a value/],
    [['--out', '--json'], /--out needs a value/],
    [['--backend', 'tpu'], /unknown backend "tpu"/],
    [['--backend', 'gpu:vulkan'], /unknown backend "gpu:vulkan"/],
    [['--seed', '-3'], /non-negative integer/],
    [['--seed', '1.5'], /non-negative integer/],
    [['--quick', '--full'], /exclusive/],
    [['--json=yes'], /takes no value/],
    [['--task', 'sorting'], /unknown task "sorting"/],
    [['--models', 'lstm,mamba'], /unknown model "mamba"/],
    [['--lengths', '256,abc'], /whole numbers ≥ 8/],
    [['--seeds', '0'], /whole number ≥ 1/],
  ])('rejects %j with a usage error', (argv, pattern) => {
    expect(() => parseArgs(argv, 'r')).toThrow(UsageError);
    expect(() => parseArgs(argv, 'r')).toThrow(pattern);
  });
});

describe('learning-suite flags', () => {
  it('parse tasks, lengths, models, seeds, steps and workers', () => {
    const options = parseArgs(['--suite', 'learn', '--task', 'copy,adding', '--lengths', '1024,256', '--models', 'lstm,local', '--seeds', '3', '--steps', '50', '--workers', '1'], 'r');
    expect(options.learn).toEqual({ tasks: ['copy', 'adding'], lengths: [256, 1024], models: ['lstm', 'local'], seeds: 3, steps: 50, workers: 1 });
    expect(parseArgs([], 'r').learn).toEqual({});
  });
});

describe('expandBackendNames', () => {
  it('expands all and gpu into every gpu.js mode, without duplicates', () => {
    expect(expandBackendNames(['all'])).toEqual(['cpu', 'gpu:webgpu', 'gpu:webgl2', 'gpu:webgl', 'gpu:headlessgl', 'gpu:webasm', 'gpu:cpu']);
    expect(expandBackendNames(['gpu:webasm', 'gpu', 'cpu'])).toEqual(['gpu:webasm', 'gpu:webgpu', 'gpu:webgl2', 'gpu:webgl', 'gpu:headlessgl', 'gpu:cpu', 'cpu']);
  });
});
