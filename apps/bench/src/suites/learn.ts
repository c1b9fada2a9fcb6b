/**
 * Suite 2, what they learn: RNN, LSTM, GRU and small transformers with four attention cores,
 * each sized to the same parameter budget and trained with the same steps, optimiser and data
 * stream on every task, length and seed; scored on held-out sequences next to the trivial
 * baseline computed on the same ones. Each run records its learning curve, whether it had
 * converged, and when it first reached the task's target. Runs go to parallel worker threads.
 */
import { Generator } from '@heed/tensor';
import { modelName, type SequenceModelKind } from '../models/sequence-models.js';
import { summarize } from '../report/learn-summary.js';
import type { LearnResults, LearnRow } from '../results.js';
import { deriveSeed, yieldToEventLoop, type SuiteContext } from '../run/context.js';
import { poolSize, runJobs } from '../training/pool.js';
import { CONVERGENCE_RULE } from '../training/convergence.js';
import { buildJobModel, evaluationSeedFor, learnTasks, loadPlainWeights, type LearnJob } from './learn-job.js';

export { beatsBaseline, dataSeedFor, learnTasks, modelSeedFor } from './learn-job.js';

/** The jobs of a run, longest sequences first (so the slowest start early and the pool stays busy). */
export function learnJobs(context: Pick<SuiteContext, 'config' | 'options'>, baselines: Map<string, { name: string; score: number }>, keepWeightsFor: (task: string, length: number) => boolean): LearnJob[] {
  const config = context.config.learn;
  const jobs: LearnJob[] = [];
  for (const entry of config.tasks) {
    for (const length of entry.lengths) {
      for (const kind of config.models.filter((item) => !sharedAt(config, item, length))) {
        for (let seedIndex = 0; seedIndex < config.seeds; seedIndex++) {
          jobs.push({
            task: entry.name,
            length,
            kind,
            seedIndex,
            baseSeed: context.options.seed,
            config,
            baseline: baselines.get(`${entry.name}:${length}`)!,
            keepWeights: seedIndex === 0 && keepWeightsFor(entry.name, length),
          });
        }
      }
    }
  }
  const cost = (job: LearnJob): number => job.length * (job.kind.startsWith('transformer') ? 4 : 1);
  return jobs.sort((a, b) => cost(b) - cost(a));
}

/** The model whose runs `kind` shows at `length` instead of training its own, or null. */
export function sharedAt(config: SuiteContext['config']['learn'], kind: SequenceModelKind, length: number): SequenceModelKind | null {
  const share = config.sharedRuns[kind];
  return share && length >= share.from && config.models.includes(share.with) ? share.with : null;
}

/** The adding-problem length whose trained models the gradient suite reuses (the longest trained). */
export function gradientLength(config: SuiteContext['config']): number | null {
  const adding = config.learn.tasks.find((entry) => entry.name === 'adding');
  return adding && adding.lengths.length ? Math.max(...adding.lengths) : null;
}

/** Runs the learning suite, publishing after every trained model. */
export async function runLearnSuite(context: SuiteContext): Promise<void> {
  const config = context.config.learn;
  const tasks = learnTasks(config);
  const workers = Math.min(poolSize(config.workers), 8);
  const started = performance.now();
  const shared = Object.entries(config.sharedRuns) as [SequenceModelKind, { with: SequenceModelKind; from: number }][];
  const results: LearnResults = {
    config,
    tasks: [],
    models: [],
    rows: [],
    summary: [],
    seconds: 0,
    workers,
    notes: [
      `Each model trains from scratch per task, length and seed: Adam (5% warm-up, cosine decay), gradient clipping, batch ${config.batch}, ${config.steps} steps, fresh random batches every step from the same seeded stream for every model.`,
      'Scores are on held-out sequences generated with a separate seed; the baseline is computed on the same sequences.',
      `Converged: the training loss fell by less than ${CONVERGENCE_RULE.threshold * 100}% over the last ${CONVERGENCE_RULE.fraction === 0.2 ? 'fifth' : `${CONVERGENCE_RULE.fraction * 100}%`} of training (a least-squares line through the curve there); otherwise "still improving" at the step budget, and more steps would likely change the result.`,
      'Time to target: wall time of training until the mean score on the training batches of one curve window first met the target (fresh batches, so an unbiased estimate of held-out performance).',
      ...shared.map(
        ([copy, share]) =>
          `${modelName(copy, config.window)} is not trained separately ${share.from > 0 ? `from T = ${share.from} on` : 'in this preset'}: its dense core runs the same fused kernel as ${modelName(share.with, config.window)} when no weights are needed, from the same initial weights, so its rows there repeat that run (marked ≡)${share.from > 0 ? '; below, both are trained and can be compared' : ''}.`,
      ),
      `Runs go to ${workers} worker thread${workers === 1 ? '' : 's'} in parallel; per-run times are each thread's own wall time, so they include slowdowns from the other threads sharing the cores.`,
    ],
  };
  const baselines = new Map<string, { name: string; score: number }>();
  for (const entry of config.tasks) {
    const task = tasks[entry.name];
    const lengths = [...entry.lengths].sort((a, b) => a - b);
    const taskEntry: LearnResults['tasks'][number] = { name: task.name, title: task.title, source: task.source, metric: task.metric, target: config.targets[entry.name], lengths, baselines: [] };
    results.tasks.push(taskEntry);
    for (const length of lengths) {
      const evaluation = task.generate(config.evaluationSize, length, new Generator(evaluationSeedFor(context.options.seed, task.name, length)));
      const priorSample = task.generate(1024, length, new Generator(deriveSeed(context.options.seed, 'prior', task.name, length)));
      const baseline = task.baseline(evaluation, priorSample);
      baselines.set(`${task.name}:${length}`, { name: baseline.name, score: baseline.score });
      taskEntry.baselines.push({ length, name: baseline.name, score: baseline.score, ...(baseline.extra ? { extra: baseline.extra } : {}) });
    }
  }
  const reuseLength = context.options.suites.includes('gradients') ? gradientLength(context.config) : null;
  const jobs = learnJobs(context, baselines, (task, length) => task === 'adding' && length === reuseLength);
  const progress = context.progress.start('learn', jobs.length * config.steps);
  const order = (row: LearnRow): number[] => [
    results.tasks.findIndex((task) => task.name === row.task),
    row.length,
    config.models.indexOf(row.kind as SequenceModelKind),
    row.seedIndex,
  ];
  const compare = (a: LearnRow, b: LearnRow): number => {
    const [x, y] = [order(a), order(b)];
    for (let index = 0; index < x.length; index++) if (x[index] !== y[index]) return x[index] - y[index];
    return 0;
  };
  await runJobs(
    jobs,
    workers,
    async (job, result) => {
      const rows = [result.row];
      for (const [copy] of shared) {
        if (sharedAt(config, copy, job.length) === job.kind) rows.push({ ...result.row, model: modelName(copy, config.window), kind: copy, sharedWith: result.row.model });
      }
      for (const row of rows) {
        if (!results.models.some((entry) => entry.name === row.model)) {
          results.models.push({ name: row.model, kind: row.kind, description: row.sharedWith ? `${result.description} (shown with the ${row.sharedWith} runs)` : result.description, hidden: row.hidden });
        }
      }
      results.models.sort((a, b) => config.models.indexOf(a.kind as SequenceModelKind) - config.models.indexOf(b.kind as SequenceModelKind));
      results.rows.push(...rows);
      results.rows.sort(compare);
      results.summary = summarize(results.rows);
      results.seconds = (performance.now() - started) / 1000;
      if (result.weights) {
        const model = buildJobModel(job);
        loadPlainWeights(model, result.weights);
        model.module.eval();
        for (const row of rows) {
          context.trained.set(`${job.task}:${job.length}:${row.kind}`, { model, task: job.task, length: job.length, steps: result.row.steps, seed: result.row.seed });
        }
      }
      progress.note(`${job.task} T=${job.length} ${result.row.model}: done`);
      context.publish('learn', results);
      await yieldToEventLoop();
    },
    (job, steps) => progress.tick(`${job.task} T=${job.length} ${modelName(job.kind, config.window)}`, steps),
  );
  results.seconds = (performance.now() - started) / 1000;
  context.publish('learn', results);
  progress.done(`${jobs.length} runs trained in ${results.seconds.toFixed(0)} s on ${workers} thread${workers === 1 ? '' : 's'}`);
}
