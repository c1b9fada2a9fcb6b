/**
 * The worker thread: runs the chosen suites in order and reports progress and results to the
 * main thread. A suite that throws is recorded as an error and the next suite still runs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SuiteName } from './cli/args.js';
import { applyLearnOverrides, presetConfig } from './config.js';
import { MemorySampler } from './harness/memory.js';
import type { SuiteContext, TrainedModel } from './run/context.js';
import type { WorkerInput, WorkerMessage } from './run/messages.js';
import { RemoteProgress } from './run/remote-progress.js';

const port = parentPort;
if (!port) throw new Error('worker.ts runs inside a worker thread (start the app with src/main.ts)');
const send = (message: WorkerMessage): void => port.postMessage(message);

const suites: Record<SuiteName, () => Promise<(context: SuiteContext) => Promise<void>>> = {
  speed: async () => (await import('./suites/speed.js')).runSpeedSuite,
  learn: async () => (await import('./suites/learn.js')).runLearnSuite,
  gradients: async () => (await import('./suites/gradients.js')).runGradientSuite,
  peers: async () => (await import('./suites/peers.js')).runPeersSuite,
};

async function run(input: WorkerInput): Promise<void> {
  const sampler = await MemorySampler.start().catch(() => null);
  const context: SuiteContext = {
    options: input.options,
    config: applyLearnOverrides(presetConfig(input.options.preset), input.options.learn),
    progress: new RemoteProgress(send),
    sampler,
    publish: (name, data) => send({ type: 'section', name, data }),
    note: (message) => send({ type: 'note', message }),
    trained: new Map<string, TrainedModel>(),
  };
  if (!sampler) context.note('Peak memory unavailable: the memory watcher thread did not start.');
  for (const suite of input.options.suites) {
    const started = performance.now();
    try {
      const runSuite = await suites[suite]();
      await runSuite(context);
      send({ type: 'suite-done', suite, seconds: (performance.now() - started) / 1000 });
    } catch (error) {
      const message = error instanceof Error ? `${error.message}${error.stack ? `\n${error.stack.split('\n').slice(1, 6).join('\n')}` : ''}` : String(error);
      send({ type: 'suite-error', suite, message });
    }
  }
  await sampler?.stop();
  send({ type: 'finished' });
}

void run(workerData as WorkerInput);
