/**
 * Suite 3, gradient flow: for each model, the norm of the gradient of the loss at the last step
 * with respect to the input at every earlier position, at initialisation (at every configured
 * length, up to T = 1024 in --full) and after training on the adding problem. Recurrent
 * gradients pass through one Jacobian per step and shrink with the distance; attention reaches
 * every position in one step.
 */
import { Generator, mseLoss, tensor } from '@heed/tensor';
import { buildSequenceModel, modelName, type SequenceModel, type SequenceModelKind } from '../models/sequence-models.js';
import type { GradientResults } from '../results.js';
import { deriveSeed, yieldToEventLoop, type SuiteContext } from '../run/context.js';
import { addingProblemTask } from '../tasks/index.js';
import type { TaskBatch } from '../tasks/task.js';
import { inputsOf, train } from '../training/train.js';
import { dataSeedFor, gradientLength, modelSeedFor } from './learn.js';

/**
 * Mean over the batch of ‖∂loss_b/∂x_{b,t}‖₂, listed by distance from the last position
 * (index 0 = the last position). `loss_b` is sequence b's squared error at the last step.
 */
export function gradientNormsByDistance(model: SequenceModel, batch: TaskBatch): number[] {
  const inputs = inputsOf(batch, true);
  const outputs = model.forward(inputs, 1).reshape([batch.batch]);
  const loss = mseLoss(outputs, tensor(batch.targets, { shape: [batch.batch] }), { reduction: 'sum' });
  loss.backward();
  const grad = inputs.grad?.dataSync() as Float32Array | undefined;
  if (!grad) throw new Error('gradients: the inputs received no gradient');
  const norms = new Array<number>(batch.length).fill(0);
  for (let b = 0; b < batch.batch; b++) {
    for (let t = 0; t < batch.length; t++) {
      let squares = 0;
      for (let f = 0; f < batch.features; f++) squares += grad[(b * batch.length + t) * batch.features + f] ** 2;
      norms[batch.length - 1 - t] += Math.sqrt(squares) / batch.batch;
    }
  }
  return norms;
}

/** Runs the gradient-flow suite. */
export async function runGradientSuite(context: SuiteContext): Promise<void> {
  const task = addingProblemTask();
  const learnConfig = context.config.learn;
  const kinds = learnConfig.models;
  const learned = [...context.trained.values()].filter((entry) => entry.task === task.name);
  const reuse = learned.length > 0;
  const length = reuse ? (gradientLength(context.config) ?? context.config.gradients.length) : context.config.gradients.length;
  const initLengths = [...new Set([...context.config.gradients.initLengths, length])].sort((a, b) => a - b);
  const results: GradientResults = {
    task: task.title,
    length,
    rows: [],
    notes: [
      reuse
        ? `The trained curves use the learning suite's adding-problem models at T = ${length} (seed 0); the init curves rebuild the same models from the same seeds, before training.`
        : `The learning suite did not run, so each model trains ${context.config.gradients.steps} steps on the adding problem at T = ${length} here.`,
      `Init curves at T = ${initLengths.join(', ')}. Each point is the mean over 16 sequences of the gradient norm of that sequence's squared error at the last step.`,
    ],
  };
  const progress = context.progress.start('gradients', kinds.length * (initLengths.length + 1));
  const build = (kind: SequenceModelKind, at: number): SequenceModel =>
    buildSequenceModel(kind, {
      features: task.features,
      classes: task.classes,
      targetParameters: learnConfig.targetParameters,
      window: learnConfig.window,
      generator: new Generator(modelSeedFor(context.options.seed, task.name, at, kind)),
    });
  for (const kind of kinds) {
    const name = modelName(kind, learnConfig.window);
    for (const at of initLengths) {
      const batch = task.generate(16, at, new Generator(deriveSeed(context.options.seed, 'gradients', at)));
      results.rows.push({ model: name, stage: 'init', task: task.name, length: at, norms: gradientNormsByDistance(build(kind, at), batch), steps: 0 });
      progress.tick(`${name} at initialisation, T = ${at}`);
      context.publish('gradients', results);
      await yieldToEventLoop();
    }
    let trained = context.trained.get(`${task.name}:${length}:${kind}`);
    if (!trained) {
      const model = build(kind, length);
      progress.note(`${name}: training ${context.config.gradients.steps} steps`);
      const outcome = train(model, task, length, {
        steps: context.config.gradients.steps,
        batch: learnConfig.batch,
        learningRate: learnConfig.learningRate,
        gradientClip: learnConfig.gradientClip,
        lossEvery: learnConfig.lossEvery,
        dataSeed: dataSeedFor(context.options.seed, task.name, length),
      });
      trained = { model, task: task.name, length, steps: outcome.steps, seed: modelSeedFor(context.options.seed, task.name, length, kind) };
    }
    const batch = task.generate(16, length, new Generator(deriveSeed(context.options.seed, 'gradients', length)));
    results.rows.push({ model: name, stage: 'trained', task: task.name, length, norms: gradientNormsByDistance(trained.model, batch), steps: trained.steps });
    progress.tick(`${name} after training`);
    context.publish('gradients', results);
    await yieldToEventLoop();
  }
  progress.done();
}
