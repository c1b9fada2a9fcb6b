/**
 * Command-line options of the bench app, parsed without dependencies so the usage text and the
 * errors stay under our control. `parseArgs` is pure: it never exits or prints.
 */

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

/**
 * Parses the bench app's arguments (`process.argv.slice(2)`).
 *
 * @example
 * ```ts
 * parseArgs(['--suite', 'speed,peers', '--out', '/tmp/run'], 'results');
 * // { preset: 'quick', suites: ['speed', 'peers'], outDir: '/tmp/run', … }
 * ```
 */
export function parseArgs(argv: readonly string[], defaultOutDir: string): BenchOptions {
  const options = defaultOptions(defaultOutDir);
  let suitesGiven = false;
  let presetGiven: Preset | null = null;
  const args = [...argv];
  // `pnpm run start -- --full` forwards the separator itself.
  while (args[0] === '--') args.shift();
  for (let index = 0; index < args.length; index++) {
    const raw = args[index];
    const equals = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = equals > 0 ? raw.slice(0, equals) : raw;
    const inline = equals > 0 ? raw.slice(equals + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = args[index + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      index++;
      return next;
    };
    const noValue = (): void => {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
    };
    switch (flag) {
      case '--quick':
      case '--full': {
        noValue();
        const preset = flag.slice(2) as Preset;
        if (presetGiven && presetGiven !== preset) throw new UsageError('--quick and --full are exclusive');
        presetGiven = preset;
        options.preset = preset;
        break;
      }
      case '--suite':
      case '--suites': {
        const names = splitList(value());
        if (names.length === 0) throw new UsageError(`${flag} needs at least one suite name`);
        const chosen: SuiteName[] = suitesGiven ? options.suites : [];
        for (const name of names) {
          if (name === 'all') {
            chosen.push(...SUITES);
            continue;
          }
          if (!(SUITES as readonly string[]).includes(name)) {
            throw new UsageError(`unknown suite "${name}" (choose from ${SUITES.join(', ')}, all)`);
          }
          chosen.push(name as SuiteName);
        }
        options.suites = SUITES.filter((suite) => chosen.includes(suite));
        suitesGiven = true;
        break;
      }
      case '--backend':
      case '--backends': {
        const names = splitList(value());
        if (names.length === 0) throw new UsageError(`${flag} needs at least one backend`);
        for (const name of names) {
          if (!BACKENDS.has(name)) {
            throw new UsageError(`unknown backend "${name}" (use cpu, gpu, gpu:<mode> with a mode of ${GPU_MODE_NAMES.join(', ')}, or all)`);
          }
        }
        options.backends = [...new Set(names)];
        break;
      }
      case '--out':
      case '-o': {
        const dir = value();
        if (dir.trim() === '') throw new UsageError(`${flag} needs a folder`);
        options.outDir = dir;
        break;
      }
      case '--seed': {
        const text = value();
        const seed = Number(text);
        if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got "${text}"`);
        options.seed = seed;
        break;
      }
      case '--task':
      case '--tasks': {
        const names = splitList(value());
        for (const name of names) if (!(LEARN_TASKS as readonly string[]).includes(name)) throw new UsageError(`unknown task "${name}" (choose from ${LEARN_TASKS.join(', ')})`);
        if (names.length === 0) throw new UsageError(`${flag} needs at least one task`);
        options.learn.tasks = [...new Set(names)] as LearnTaskName[];
        break;
      }
      case '--model':
      case '--models': {
        const names = splitList(value());
        for (const name of names) if (!(LEARN_MODELS as readonly string[]).includes(name)) throw new UsageError(`unknown model "${name}" (choose from ${LEARN_MODELS.join(', ')})`);
        if (names.length === 0) throw new UsageError(`${flag} needs at least one model`);
        options.learn.models = [...new Set(names)] as LearnModelName[];
        break;
      }
      case '--length':
      case '--lengths': {
        const items = splitList(value());
        const lengths = items.map(Number);
        if (items.length === 0 || lengths.some((length) => !Number.isSafeInteger(length) || length < 8)) throw new UsageError(`${flag} needs whole numbers ≥ 8, got "${items.join(',')}"`);
        options.learn.lengths = [...new Set(lengths)].sort((a, b) => a - b);
        break;
      }
      case '--seeds':
      case '--steps':
      case '--workers': {
        const text = value();
        const number = Number(text);
        const minimum = flag === '--workers' ? 0 : 1;
        if (!Number.isSafeInteger(number) || number < minimum) throw new UsageError(`${flag} must be a whole number ≥ ${minimum}, got "${text}"`);
        options.learn[flag.slice(2) as 'seeds' | 'steps' | 'workers'] = number;
        break;
      }
      case '--json':
        noValue();
        options.json = true;
        break;
      case '--png':
        noValue();
        options.png = true;
        break;
      case '--help':
      case '-h':
        noValue();
        options.help = true;
        break;
      default:
        throw new UsageError(raw.startsWith('-') ? `unknown flag ${flag}` : `unexpected argument "${raw}"`);
    }
  }
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
