/**
 * The training step the learning suite actually runs, timed: each of its models at its sizes
 * and batch on the adding problem (forward, loss, backward, gradient clipping, Adam), at long
 * lengths. It tells whether the training path is fast enough for long-sequence learning, and
 * gives the per-step cost behind every learning-suite wall time.
 */
import { Adam, clipGradNorm, Generator } from '@heed/tensor';
import type { PresetConfig } from '../config.js';
import { measure } from '../harness/timing.js';
import type { LearnStepRow } from '../results.js';
import { deriveSeed, yieldToEventLoop, type SuiteContext } from '../run/context.js';
import { inputsOf, taskLoss } from '../training/train.js';
import { buildJobModel, learnTasks } from './learn-job.js';

/** Times one training step of every learning-suite model at each of `config.speed.learnStepLengths`. */
export async function timeLearnSteps(context: SuiteContext, config: PresetConfig, onRow: (row: LearnStepRow) => void): Promise<void> {
  const task = learnTasks(config.learn).adding;
  const lengths = config.speed.learnStepLengths;
  const progress = context.progress.start('speed: learning-model steps', lengths.length * config.learn.models.length);
  for (const length of lengths) {
    const batch = task.generate(config.learn.batch, length, new Generator(deriveSeed(context.options.seed, 'learn-step', length)));
    for (const kind of config.learn.models) {
      const model = buildJobModel({ task: 'adding', length, kind, seedIndex: 0, baseSeed: context.options.seed, config: config.learn }, task);
      progress.note(`${model.name} T=${length}`);
      const parameters = model.module.parameters();
      const optimizer = new Adam(parameters, { lr: 1e-3 });
      const measured = await measure(
        () => {
          optimizer.zeroGrad();
          taskLoss(task, model.forward(inputsOf(batch), batch.answers), batch).backward();
          clipGradNorm(parameters, config.learn.gradientClip);
          optimizer.step();
        },
        config.speed.learnStepTiming,
      );
      onRow({
        model: model.name,
        length,
        batch: config.learn.batch,
        hidden: model.hidden,
        parameters: parameters.reduce((total, parameter) => total + parameter.size, 0),
        medianMs: measured.medianMs,
        samplesMs: measured.samplesMs,
      });
      progress.tick(`${model.name} T=${length}: ${measured.medianMs.toFixed(0)} ms`);
      await yieldToEventLoop();
    }
  }
  progress.done();
}
