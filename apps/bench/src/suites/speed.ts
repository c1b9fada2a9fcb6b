/**
 * Suite 1, speed and memory: forward and training-step time, throughput and peak memory of each
 * layer against sequence length, on heed's CPU backend and every gpu.js mode that starts here,
 * with a fitted scaling exponent per model. Larger lengths are skipped (with the reason) when
 * the fitted curve predicts a call longer than the preset allows.
 */
import { Generator, getBackend, noGrad, randn, setBackend, type Tensor } from '@heed/tensor';
import { expandBackendNames, openBackend, type BenchBackend } from '../backends/backends.js';
import { fitScaling, predict } from '../harness/fit.js';
import { measure } from '../harness/timing.js';
import { SPEED_MODEL_NAMES, buildSpeedModel, speedLoss, type SpeedModel, type SpeedModelName } from '../models/speed-models.js';
import type { SpeedFit, SpeedResults, SpeedRow } from '../results.js';
import { deriveSeed, yieldToEventLoop, type SuiteContext } from '../run/context.js';
import { timeLearnSteps } from './learn-steps.js';

type Mode = 'forward' | 'train';

/** Refits the time and memory exponents of one model and mode from its rows. */
export function refit(results: SpeedResults, backend: string, model: string, mode: Mode): void {
  const rows = results.rows.filter((row) => row.backend === backend && row.model === model && row.mode === mode && row.medianMs !== null);
  results.fits = results.fits.filter((fit) => !(fit.backend === backend && fit.model === model && fit.mode === mode));
  // The fastest run per length: slower runs are other processes interfering (timeit's advice),
  // which on a shared machine bends a fit of medians far more than the algorithm does.
  const time = fitScaling(rows.map((row) => ({ size: row.length, value: row.minMs })));
  if (time) results.fits.push({ ...time, backend, model, mode, figure: 'time' } satisfies SpeedFit);
  // Peak RSS below 1 MiB is noise (the allocator reuses freed pages); fit only sizes above it.
  const memory = fitScaling(rows.map((row) => ({ size: row.length, value: row.peakRssBytes !== null && row.peakRssBytes >= MEMORY_NOISE_FLOOR ? row.peakRssBytes : null })));
  if (memory) results.fits.push({ ...memory, backend, model, mode, figure: 'memory' } satisfies SpeedFit);
  const allocated = fitScaling(rows.map((row) => ({ size: row.length, value: row.allocatedBytes })));
  if (allocated) results.fits.push({ ...allocated, backend, model, mode, figure: 'allocated' } satisfies SpeedFit);
}

/** Peak-RSS growth under this is indistinguishable from the allocator's own churn. */
export const MEMORY_NOISE_FLOOR = 2 ** 20;

/** Why `length` should not be measured, judging from the sizes measured so far; null to measure it. */
export function skipReason(results: SpeedResults, row: Pick<SpeedRow, 'backend' | 'model' | 'mode' | 'length'>, maxCallSeconds: number): string | null {
  const fit = results.fits.find((entry) => entry.backend === row.backend && entry.model === row.model && entry.mode === row.mode && entry.figure === 'time');
  if (!fit) return null;
  const predictedMs = predict(fit, row.length);
  return predictedMs > maxCallSeconds * 1000 ? `predicted ${(predictedMs / 1000).toFixed(1)} s per call, over this preset's ${maxCallSeconds} s limit` : null;
}

async function timeModel(model: SpeedModel, input: Tensor, mode: Mode, opened: BenchBackend, context: SuiteContext, onSample: () => void) {
  const timing = opened.name === 'cpu' ? context.config.speed.timing : context.config.speed.gpuTiming;
  const run =
    mode === 'forward'
      ? async () => {
          const output = noGrad(() => model.forward(input));
          await output.data();
        }
      : async () => {
          model.module.zeroGrad();
          const loss = speedLoss(model.forward(input));
          loss.backward();
          await opened.flush();
          await loss.data();
        };
  return measure(run, { ...timing, memory: context.sampler, allocations: opened.counter, onSample });
}

/** Runs the speed and memory suite. */
export async function runSpeedSuite(context: SuiteContext): Promise<void> {
  const config = context.config.speed;
  const results: SpeedResults = {
    width: config.width,
    batch: config.batch,
    lengths: config.lengths,
    gpu: { lengths: config.gpuLengths, modes: config.gpuModes },
    backends: [],
    models: [],
    rows: [],
    fits: [],
    notes: [
      `Each model is one layer at width ${config.width} (recurrent hidden size ${config.width}; attention: one head with query/key/value/output projections, causal), input [${config.batch}, T, ${config.width}].`,
      'Forward runs without recording gradients; a training step is forward + mean-square loss + backward (no optimiser update).',
      'Times include reading the result back to the host. Peak memory is the highest resident set size above the level before the call, sampled every 2 ms by a watcher thread (smallest over the measured runs); under 1 MiB it is lost in the allocator\'s own churn.',
      'Allocated: bytes of every tensor buffer the CPU backend created during one call (kernel outputs and uploads), counted exactly; it shows how memory traffic grows where the peak stays under the noise floor.',
      ...(config.gpuModes.includes('train') ? [] : ['gpu.js modes run the forward pass only in this preset (--full adds the training step).']),
    ],
  };
  const names = expandBackendNames(context.options.backends);
  const previous = getBackend();
  for (const name of names) {
    const opened = await openBackend(name);
    results.backends.push({ name, available: opened.backend !== null, ...(opened.reason ? { reason: opened.reason } : {}) });
    context.publish('speed', results);
    if (!opened.backend) continue;
    const lengths = name === 'cpu' ? config.lengths : config.gpuLengths;
    const modes: Mode[] = name === 'cpu' ? ['forward', 'train'] : config.gpuModes;
    const progress = context.progress.start(`speed ${name}`, SPEED_MODEL_NAMES.length * modes.length * lengths.length);
    setBackend(opened.backend);
    try {
      for (const modelName of SPEED_MODEL_NAMES) {
        const model = buildSpeedModel(modelName, { width: config.width, window: config.window, generator: new Generator(deriveSeed(context.options.seed, 'speed', modelName)) });
        if (!results.models.some((entry) => entry.name === modelName)) {
          results.models.push({ name: modelName, description: model.description, parameters: model.module.parameters().reduce((total, parameter) => total + parameter.size, 0) });
        }
        for (const mode of modes) {
          for (const length of lengths) {
            const base = { backend: name, model: modelName, mode, length, batch: config.batch, width: config.width };
            const reason = memoryLimit(modelName, mode, length, config.fullAttentionTrainMaxLength) ?? skipReason(results, base, config.maxCallSeconds);
            if (reason) {
              results.rows.push({ ...base, medianMs: null, minMs: null, samplesMs: [], tokensPerSecond: null, peakRssBytes: null, arrayBufferBytes: null, allocatedBytes: null, skipped: reason });
              progress.tick(`${modelName} ${mode} T=${length}: skipped`);
              continue;
            }
            progress.note(`${modelName} ${mode} T=${length}`);
            const input = randn([config.batch, length, config.width], { generator: new Generator(deriveSeed(context.options.seed, 'speed-input', length)) });
            const measured = await timeModel(model, input, mode, opened, context, () => progress.note(`${modelName} ${mode} T=${length}`));
            results.rows.push({
              ...base,
              medianMs: measured.medianMs,
              minMs: measured.minMs,
              samplesMs: measured.samplesMs,
              tokensPerSecond: (config.batch * length) / (measured.medianMs / 1000),
              peakRssBytes: measured.peakRssBytes,
              arrayBufferBytes: measured.arrayBufferBytes,
              allocatedBytes: measured.allocatedBytes,
              ...(measured.includesWarmup ? { includesWarmup: true } : {}),
            });
            refit(results, name, modelName, mode);
            context.publish('speed', results);
            progress.tick(`${modelName} ${mode} T=${length}: ${measured.medianMs.toFixed(1)} ms`);
            await yieldToEventLoop();
          }
        }
      }
    } finally {
      setBackend(previous);
      await opened.release();
    }
    progress.done();
  }
  if (config.learnStepLengths.length > 0 && context.config.learn.models.length > 0) {
    results.learnSteps = [];
    results.notes.push(
      `Learning-suite steps: one full training step (forward, loss, backward, gradient clipping, Adam) of each learning-suite model at its own sizes and batch ${context.config.learn.batch} on the adding problem, CPU backend; median of a few steps.`,
    );
    await timeLearnSteps(context, context.config, (row) => {
      results.learnSteps!.push(row);
      context.publish('speed', results);
    });
  }
  context.publish('speed', results);
}

/** Full attention's training step keeps several T×T matrices alive; above the preset's limit it is skipped. */
function memoryLimit(model: SpeedModelName, mode: Mode, length: number, limit: number): string | null {
  if (model !== 'full attention' || mode !== 'train' || length <= limit) return null;
  const gib = (4 * length * length * 4) / 2 ** 30;
  return `skipped above T = ${limit}: its backward holds T×T matrices (about ${gib.toFixed(1)} GiB here)`;
}
