/**
 * Command-line options of the bench app, read with `node:util`'s `parseArgs` (strict) and checked
 * here, so the usage text and the errors stay in our words. `parseArgs` is pure: it never exits
 * or prints.
 */
import { parseArgs as utilParseArgs, type ParseArgsConfig } from 'node:util';

/** The four suites, in the order a full run executes them. */
export const SUITES = ['speed', 'learn', 'gradients', 'peers'] as const;
/** One suite's name. */
export type SuiteName = (typeof SUITES)[number];

/** How much work a run does: `quick` (the default, about three minutes) or `full`. */
export type Preset = 'quick' | 'full';

/** What a run was asked to do. */
export interface BenchOptions {
  preset: Preset;
  suites: SuiteName[];
  /** Backends for the speed suite: `cpu` and/or gpu.js modes (`gpu:webasm`, …); `all` = every available one. */
  backends: string[];
  /** Folder for results.json, report.html and the SVG charts. */
  outDir: string;
  /** Print the results JSON on stdout instead of tables. */
  json: boolean;
  /** Also write each chart as PNG (needs Chromium). */
  png: boolean;
  /** Base seed; each task, model and suite derives its own seed from it. */
  seed: number;
  /** Narrowing or overriding the learning suite's preset (`--task`, `--lengths`, `--models`, `--seeds`, `--steps`, `--workers`). */
  learn: LearnOverrides;
  help: boolean;
}

/** Learning-suite settings given on the command line; unset fields keep the preset's. */
export interface LearnOverrides {
  tasks?: LearnTaskName[];
  lengths?: number[];
  models?: LearnModelName[];
  seeds?: number;
  steps?: number;
  workers?: number;
}

/** Task names `--task` accepts. */
export const LEARN_TASKS = ['copy', 'adding', 'recall', 'selective', 'listops'] as const;
export type LearnTaskName = (typeof LEARN_TASKS)[number];
/** Model names `--models` accepts (`full` … `linear` are the transformer's attention cores). */
export const LEARN_MODELS = ['rnn', 'lstm', 'gru', 'full', 'memory-efficient', 'local', 'linear'] as const;
export type LearnModelName = (typeof LEARN_MODELS)[number];

/** A flag the parser did not accept; the message says which and why. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** gpu.js modes `@heed/gpu` knows (`--backend gpu:<mode>`). */
export const GPU_MODE_NAMES = ['webgpu', 'webgl2', 'webgl', 'headlessgl', 'webasm', 'cpu'] as const;
const BACKENDS = new Set(['cpu', 'all', 'gpu', ...GPU_MODE_NAMES.map((mode) => `gpu:${mode}`)]);

/** The defaults: a quick run of every suite on every available backend. */
export function defaultOptions(outDir: string): BenchOptions {
  return { preset: 'quick', suites: [...SUITES], backends: ['all'], outDir, json: false, png: false, seed: 1234, learn: {}, help: false };
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** The flags, for `node:util`'s `parseArgs` (aliases map onto the first name). */
const FLAGS = {
  quick: { type: 'boolean' },
  full: { type: 'boolean' },
  suite: { type: 'string', multiple: true },
  backend: { type: 'string', multiple: true },
  out: { type: 'string', short: 'o' },
  seed: { type: 'string' },
  task: { type: 'string', multiple: true },
  models: { type: 'string', multiple: true },
  lengths: { type: 'string', multiple: true },
  seeds: { type: 'string' },
  steps: { type: 'string' },
  workers: { type: 'string' },
  json: { type: 'boolean' },
  png: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];
const ALIASES: Record<string, keyof typeof FLAGS> = { suites: 'suite', backends: 'backend', tasks: 'task', model: 'models', length: 'lengths' };

/** Reads argv with `node:util`'s `parseArgs` (strict), turning its errors into {@link UsageError}s in our words. */
function readFlags(argv: readonly string[]): { values: ReturnType<typeof parseFlags>['values']; presets: Preset[] } {
  const renamed = argv.map((raw) => {
    const match = /^--([a-z]+)(=.*)?$/.exec(raw);
    return match && match[1] in ALIASES ? `--${ALIASES[match[1]]}${match[2] ?? ''}` : raw;
  });
  // A negative number after a flag that takes a value is that value (`--seed -3`), so its own check can name it.
  const args: string[] = [];
  for (let index = 0; index < renamed.length; index++) {
    const name = /^--([a-z]+)$/.exec(renamed[index])?.[1] as keyof typeof FLAGS | undefined;
    const next = renamed[index + 1];
    if (name && FLAGS[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      args.push(`--${name}=${next}`);
      index++;
    } else args.push(renamed[index]);
  }
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(args);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const flag = /'(-[^' ]+)/.exec((error as Error).message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown flag ${flag}`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument "${/'([^']*)'/.exec((error as Error).message)?.[1] ?? ''}"`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const name = flag.split('=')[0];
      const boolean = FLAGS[name.replace(/^-+/, '') as keyof typeof FLAGS]?.type === 'boolean' || ['-h'].includes(name);
      throw new UsageError(boolean ? `${name} takes no value` : `${name} needs a value`);
    }
    throw error;
  }
  const presets = (parsed.tokens ?? []).flatMap((token) => (token.kind === 'option' && (token.name === 'quick' || token.name === 'full') ? [token.name] : []));
  return { values: parsed.values, presets };
}

function parseFlags(args: string[]) {
  return utilParseArgs({ args, options: FLAGS, strict: true, allowPositionals: false, tokens: true });
}

function wholeNumber(flag: string, text: string, minimum: number): number {
  const number = Number(text);
  if (!Number.isSafeInteger(number) || number < minimum) throw new UsageError(`${flag} must be a whole number ≥ ${minimum}, got "${text}"`);
  return number;
}

function names<T extends string>(flag: string, given: readonly string[], allowed: readonly T[], what: string): T[] {
  const items = given.flatMap(splitList);
  if (items.length === 0) throw new UsageError(`${flag} needs at least one ${what}`);
  for (const item of items) if (!(allowed as readonly string[]).includes(item)) throw new UsageError(`unknown ${what} "${item}" (choose from ${allowed.join(', ')})`);
  return [...new Set(items)] as T[];
}

/**
 * Parses the bench app's arguments (`process.argv.slice(2)`) with `node:util`'s `parseArgs`,
 * then checks each value; errors are {@link UsageError}s that name the flag.
 *
 * @example
 * ```ts
 * parseArgs(['--suite', 'speed,peers', '--out', '/tmp/run'], 'results');
 * // { preset: 'quick', suites: ['speed', 'peers'], outDir: '/tmp/run', … }
 * ```
 */
export function parseArgs(argv: readonly string[], defaultOutDir: string): BenchOptions {
  const options = defaultOptions(defaultOutDir);
  const args = [...argv];
  // `pnpm run start -- --full` forwards the separator itself.
  while (args[0] === '--') args.shift();
  const { values, presets } = readFlags(args);
  if (new Set(presets).size > 1) throw new UsageError('--quick and --full are exclusive');
  if (presets.length > 0) options.preset = presets[0];
  if (values.suite) {
    const chosen = values.suite.flatMap(splitList).flatMap((name) => (name === 'all' ? [...SUITES] : [name]));
    if (chosen.length === 0) throw new UsageError('--suite needs at least one suite name');
    for (const name of chosen) if (!(SUITES as readonly string[]).includes(name)) throw new UsageError(`unknown suite "${name}" (choose from ${SUITES.join(', ')}, all)`);
    options.suites = SUITES.filter((suite) => chosen.includes(suite));
  }
  if (values.backend) {
    const chosen = values.backend.flatMap(splitList);
    if (chosen.length === 0) throw new UsageError('--backend needs at least one backend');
    for (const name of chosen) {
      if (!BACKENDS.has(name)) throw new UsageError(`unknown backend "${name}" (use cpu, gpu, gpu:<mode> with a mode of ${GPU_MODE_NAMES.join(', ')}, or all)`);
    }
    options.backends = [...new Set(chosen)];
  }
  if (values.out !== undefined) {
    if (values.out.trim() === '') throw new UsageError('--out needs a folder');
    options.outDir = values.out;
  }
  if (values.seed !== undefined) {
    const seed = Number(values.seed);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got "${values.seed}"`);
    options.seed = seed;
  }
  if (values.task) options.learn.tasks = names('--task', values.task, LEARN_TASKS, 'task');
  if (values.models) options.learn.models = names('--models', values.models, LEARN_MODELS, 'model');
  if (values.lengths) {
    const items = values.lengths.flatMap(splitList);
    const lengths = items.map(Number);
    if (items.length === 0 || lengths.some((length) => !Number.isSafeInteger(length) || length < 8)) throw new UsageError(`--lengths needs whole numbers ≥ 8, got "${items.join(',')}"`);
    options.learn.lengths = [...new Set(lengths)].sort((a, b) => a - b);
  }
  if (values.seeds !== undefined) options.learn.seeds = wholeNumber('--seeds', values.seeds, 1);
  if (values.steps !== undefined) options.learn.steps = wholeNumber('--steps', values.steps, 1);
  if (values.workers !== undefined) options.learn.workers = wholeNumber('--workers', values.workers, 0);
  options.json = values.json === true;
  options.png = values.png === true;
  options.help = values.help === true;
  return options;
}

/** The text `--help` prints (and bad flags print after their error). */
export function usage(defaultOutDir: string): string {
  return `heed bench: RNN vs attention on long sequences

Usage: npm run bench [-- options]      (from the repository root)
       pnpm --filter @heed/bench run start [options]

Options:
  --quick               small sizes, every suite, about 3 minutes on 2 cores (default)
  --full                long sequences (up to 16384), more training steps, target-size peers
  --suite LIST          run only these suites, comma-separated: ${SUITES.join(', ')} (default: all)
  --backend LIST        speed-suite backends: cpu, gpu (every gpu.js mode), gpu:<mode>
                        (webgpu, webgl2, webgl, headlessgl, webasm, cpu), all (default: all)
  --out DIR             where results.json, report.html and charts/*.svg go
                        (default: ${defaultOutDir})
  --json                print the results JSON on stdout instead of tables
  --png                 also save each chart as PNG (headless Chromium via playwright-core)
  --seed N              base seed for data and initial weights (default: 1234)

Learning suite (narrow or override the preset; with --suite learn to run just these):
  --task LIST           tasks: ${LEARN_TASKS.join(', ')}
  --lengths LIST        sequence lengths, e.g. 256,1024 (replace each chosen task's lengths)
  --models LIST         models: ${LEARN_MODELS.join(', ')} (the last four: transformer cores)
  --seeds N             runs per model, task and length (quick 1, full 3)
  --steps N             training steps per run (quick 120, full 200)
  --workers N           training threads (default 0: one per core)
  -h, --help            show this text

Progress goes to stderr; tables (or JSON) to stdout. Ctrl-C stops the run and still writes
what was measured so far.`;
}
