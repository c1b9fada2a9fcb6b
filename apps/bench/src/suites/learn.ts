/**
 * Suite 2, what they learn: RNN, LSTM, GRU and a small attention model, each sized to the same
 * parameter budget and trained with the same steps, optimiser and data stream on every task and
 * length; scored on held-out sequences next to the trivial baseline computed on the same ones.
 */
import { Generator } from '@heed/tensor';
import type { LearnConfig } from '../config.js';
import { SEQUENCE_MODEL_KINDS, buildSequenceModel } from '../models/sequence-models.js';
import type { LearnResults, LearnRow } from '../results.js';
import { deriveSeed, yieldToEventLoop, type SuiteContext } from '../run/context.js';
import { addingProblemTask, associativeRecallTask, copyMemoryTask, selectiveCopyingTask, type Task, type TaskName } from '../tasks/index.js';
import { evaluate, train } from '../training/train.js';

/** The task objects a preset asks for. */
export function learnTasks(config: LearnConfig): Record<TaskName, Task> {
  return {
    copy: copyMemoryTask({ symbols: config.copySymbols }),
    adding: addingProblemTask(),
    recall: associativeRecallTask({ keys: config.recallKeys, values: config.recallValues, queries: config.recallQueries }),
    selective: selectiveCopyingTask({ symbols: config.selectiveSymbols }),
  };
}

/**
 * Whether `score` beats `baseline` clearly: accuracy at least 5 points above it, or MSE below
 * 80% of it (a model that merely learned the output distribution stays inside these margins).
 */
export function beatsBaseline(metric: 'accuracy' | 'mse', score: number, baseline: number): boolean {
  return metric === 'accuracy' ? score >= baseline + 0.05 : score <= baseline * 0.8;
}

/** The seed a model's initial weights come from (the gradient suite rebuilds the same initial model). */
export function modelSeedFor(base: number, task: string, length: number, kind: string): number {
  return deriveSeed(base, 'model', task, length, kind);
}

/** The seed of a task's training data stream at one length (the same for every model). */
export function dataSeedFor(base: number, task: string, length: number): number {
  return deriveSeed(base, 'data', task, length);
}

/** Runs the learning suite, publishing after every trained model. */
export async function runLearnSuite(context: SuiteContext): Promise<void> {
  const config = context.config.learn;
  const tasks = learnTasks(config);
  const results: LearnResults = {
    config,
    tasks: [],
    models: [],
    rows: [],
    notes: [
      'Each model trains from scratch per task and length: Adam (5% warm-up, cosine decay), gradient clipping, fresh random batches every step from the same seeded stream for every model.',
      'Scores are on held-out sequences generated with a separate seed; the baseline is computed on the same sequences.',
    ],
  };
  const runs = config.tasks.flatMap((entry) => entry.lengths.map((length) => ({ task: tasks[entry.name], length })));
  const progress = context.progress.start('learn', runs.length * SEQUENCE_MODEL_KINDS.length * config.steps);
  for (const { task, length } of runs) {
    let taskEntry = results.tasks.find((entry) => entry.name === task.name);
    if (!taskEntry) {
      taskEntry = { name: task.name, title: task.title, source: task.source, metric: task.metric, lengths: [], baselines: [] };
      results.tasks.push(taskEntry);
    }
    const evaluation = task.generate(config.evaluationSize, length, new Generator(deriveSeed(context.options.seed, 'evaluation', task.name, length)));
    const priorSample = task.generate(1024, length, new Generator(deriveSeed(context.options.seed, 'prior', task.name, length)));
    const baseline = task.baseline(evaluation, priorSample);
    taskEntry.lengths.push(length);
    taskEntry.baselines.push({ length, name: baseline.name, score: baseline.score, ...(baseline.extra ? { extra: baseline.extra } : {}) });
    for (const kind of SEQUENCE_MODEL_KINDS) {
      const modelSeed = modelSeedFor(context.options.seed, task.name, length, kind);
      const model = buildSequenceModel(kind, {
        features: task.features,
        classes: task.classes,
        targetParameters: config.targetParameters,
        generator: new Generator(modelSeed),
      });
      if (!results.models.some((entry) => entry.name === kind)) results.models.push({ name: kind, description: model.description });
      const parameters = model.module.parameters().reduce((total, parameter) => total + parameter.size, 0);
      progress.note(`${task.name} T=${length} ${kind}`);
      const dataSeed = dataSeedFor(context.options.seed, task.name, length);
      const outcome = train(model, task, length, {
        steps: config.steps,
        batch: config.batch,
        learningRate: config.learningRate,
        gradientClip: config.gradientClip,
        lossEvery: config.lossEvery,
        dataSeed,
        onStep: (step) => {
          if (step % 10 === 0) progress.tick(`${task.name} T=${length} ${kind} step ${step}`, 10);
        },
      });
      progress.tick(undefined, config.steps % 10);
      const score = evaluate(model, task, evaluation);
      const row: LearnRow = {
        task: task.name,
        length,
        model: kind,
        parameters,
        metric: task.metric,
        score,
        baseline: baseline.score,
        baselineName: baseline.name,
        beatsBaseline: beatsBaseline(task.metric, score, baseline.score),
        steps: outcome.steps,
        seconds: outcome.seconds,
        finalLoss: outcome.finalLoss,
        lossCurve: outcome.lossCurve,
        seed: modelSeed,
      };
      results.rows.push(row);
      context.trained.set(`${task.name}:${length}:${kind}`, { model, task: task.name, length, steps: outcome.steps, seed: modelSeed });
      context.publish('learn', results);
      await yieldToEventLoop();
    }
  }
  progress.done(`${results.rows.length} models trained`);
}
