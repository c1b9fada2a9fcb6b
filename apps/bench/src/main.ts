/**
 * The bench app's entry point (`npm run bench` at the repository root). Parses flags, starts the
 * suites in a worker thread, draws progress on stderr, and writes the results JSON, the HTML
 * report and the charts, also when the run is interrupted with Ctrl-C or a suite fails.
 */
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseArgs, usage, UsageError, type BenchOptions } from './cli/args.js';
import { Progress, type ProgressTask } from './cli/progress.js';
import { formatTable } from './cli/table.js';
import { canCollectGarbage } from './harness/memory.js';
import { machineInfo, softwareVersions } from './harness/machine.js';
import { writePngCharts } from './report/png.js';
import { publishedResults } from './report/published.js';
import { allTables } from './report/tables.js';
import { writeReport } from './report/write.js';
import { RESULTS_SCHEMA, type BenchResults } from './results.js';
import type { WorkerInput, WorkerMessage } from './run/messages.js';
import { replayProgress } from './run/remote-progress.js';

const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const defaultOutDir = join(appRoot, 'results');
/** Where the user typed the command: npm and pnpm run scripts in the package folder but say where they started in INIT_CWD. */
const userCwd = process.env.INIT_CWD ?? process.cwd();

/** A path as the user would type it from where they are (absolute when outside that folder). */
function shown(path: string): string {
  const relativePath = relative(userCwd, path);
  return relativePath && !relativePath.startsWith('..') ? relativePath : path;
}

function parseOrExit(argv: string[]): BenchOptions {
  try {
    return parseArgs(argv, shown(defaultOutDir));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`heed bench: ${error.message}\n\n${usage(shown(defaultOutDir))}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/** The command that repeats this run from the repository root. */
function reproduceCommand(argv: readonly string[]): string {
  const args = argv.filter((arg) => arg !== '--');
  return args.length > 0 ? `npm run bench -- ${args.join(' ')}` : 'npm run bench';
}

/** A fresh results object for a run that is about to start. */
export function newResults(options: BenchOptions, argv: string[]): BenchResults {
  const notes: string[] = [];
  if (!canCollectGarbage()) notes.push('Started without --expose-gc: memory figures include garbage not yet collected.');
  return {
    schema: RESULTS_SCHEMA,
    status: 'running',
    startedAt: new Date().toISOString(),
    finishedAt: null,
    durationSeconds: null,
    command: reproduceCommand(argv),
    options: { preset: options.preset, suites: options.suites, backends: options.backends, seed: options.seed, learn: options.learn },
    machine: machineInfo(),
    versions: softwareVersions(),
    completedSuites: [],
    suiteSeconds: {},
    published: publishedResults(),
    errors: [],
    notes,
  };
}

/** ` (speed 40 s, learn 80 s)` for the suites that finished, or nothing. */
function suiteTimes(results: BenchResults): string {
  const entries = Object.entries(results.suiteSeconds);
  return entries.length ? ` (${entries.map(([suite, seconds]) => `${suite} ${seconds.toFixed(0)} s`).join(', ')})` : '';
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseOrExit(argv);
  if (options.help) {
    process.stdout.write(`${usage(shown(defaultOutDir))}\n`);
    return;
  }
  const outDir = resolve(userCwd, options.outDir);
  const results = newResults(options, argv);
  const started = performance.now();
  const progress = new Progress(process.stderr);
  const tasks = new Map<number, ProgressTask>();
  const heartbeat = setInterval(() => progress.refresh(), 1000);
  heartbeat.unref();
  progress.log(`heed bench (${options.preset}): ${options.suites.join(', ')} → ${shown(outDir)}`);

  let finished = false;
  const finish = async (status: BenchResults['status']): Promise<number> => {
    if (finished) return 0;
    finished = true;
    clearInterval(heartbeat);
    results.status = status;
    results.finishedAt = new Date().toISOString();
    const load = Math.max(results.machine.loadAverage[0], os.loadavg()[0]);
    // This run itself keeps one or two cores busy; more than that means other work competed.
    if (load > results.machine.cores + 1) {
      results.notes.push(
        `The machine was busy during this run (load average up to ${load.toFixed(1)} on ${results.machine.cores} cores): other processes competed for the CPU, so times are noisy and slower than on an idle machine; ratios measured side by side are affected less.`,
      );
    }
    results.durationSeconds = (performance.now() - started) / 1000;
    const written = writeReport(results, outDir);
    let pngLine = '';
    if (options.png && status !== 'interrupted') {
      const png = await writePngCharts(written.built, (chart) => join(outDir, 'charts', `${chart.file}.png`)).catch((error: unknown) => ({
        reason: error instanceof Error ? error.message.split('\n')[0] : String(error),
      }));
      pngLine = 'files' in png ? `\nPNG:     ${png.files.length} files beside the SVGs` : `\nPNG:     skipped, ${png.reason}`;
    }
    if (options.json) {
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    } else {
      const tables = allTables(results);
      process.stdout.write(`\n${tables.map(formatTable).join('\n\n')}\n`);
    }
    const where = shown;
    progress.log(
      `\n${status === 'interrupted' ? 'Interrupted: kept what was measured so far.\n' : ''}Results: ${where(written.json)}\nReport:  ${where(written.html)}\nCharts:  ${written.charts.length} SVG files in ${where(join(outDir, 'charts'))}\nTotal time: ${results.durationSeconds.toFixed(1)} s${suiteTimes(results)}${pngLine}`,
    );
    for (const error of results.errors) progress.log(`error in ${error.suite}: ${error.message.split('\n')[0]}`);
    return status === 'complete' ? 0 : status === 'interrupted' ? 130 : 1;
  };

  const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: { options } satisfies WorkerInput, stdout: true });
  // Libraries print banners from the worker; keep stdout for the tables (or the JSON).
  worker.stdout.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  let interrupts = 0;
  let interrupted = false;
  let workerFinished = false;
  process.on('SIGINT', () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    interrupted = true;
    progress.log('\nCtrl-C: stopping and writing what was measured so far (Ctrl-C again to quit at once)…');
    void worker.terminate().then(async () => process.exit(await finish('interrupted')));
  });

  await new Promise<void>((resolvePromise) => {
    worker.on('message', (message: WorkerMessage) => {
      if (replayProgress(message, progress, tasks)) return;
      switch (message.type) {
        case 'section':
          (results as unknown as Record<string, unknown>)[message.name] = message.data;
          break;
        case 'note':
          results.notes.push(message.message);
          break;
        case 'suite-done':
          results.completedSuites.push(message.suite);
          results.suiteSeconds[message.suite] = message.seconds;
          break;
        case 'suite-error':
          results.errors.push({ suite: message.suite, message: message.message });
          progress.log(`suite ${message.suite} failed: ${message.message.split('\n')[0]}`);
          break;
        case 'finished':
          workerFinished = true;
          resolvePromise();
          break;
      }
    });
    worker.on('error', (error) => {
      results.errors.push({ suite: 'runner', message: error.stack ?? error.message });
      resolvePromise();
    });
    worker.on('exit', (code) => {
      if (!workerFinished && !interrupted) results.errors.push({ suite: 'runner', message: `the worker thread exited (code ${code}) before finishing` });
      resolvePromise();
    });
  });
  // After Ctrl-C the signal handler writes the report and exits.
  if (interrupted || finished) return;
  const code = await finish(results.errors.length > 0 ? 'failed' : 'complete');
  await worker.terminate();
  process.exitCode = code;
}

await main();
