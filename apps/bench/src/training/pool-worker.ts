/** A training worker thread: runs the learning-suite jobs it is sent, one at a time. */
import { parentPort } from 'node:worker_threads';
import { runLearnJob, type LearnJob } from '../suites/learn-job.js';
import type { PoolMessage } from './pool.js';

const port = parentPort;
if (!port) throw new Error('pool-worker.ts runs inside a worker thread');
port.on('message', ({ id, job }: { id: number; job: LearnJob }) => {
  const send = (message: PoolMessage): void => port.postMessage(message);
  try {
    let reported = 0;
    const result = runLearnJob(job, (step) => {
      if (step - reported >= 10) {
        send({ type: 'step', id, steps: step - reported });
        reported = step;
      }
    });
    send({ type: 'step', id, steps: job.config.steps - reported });
    send({ type: 'done', id, result });
  } catch (error) {
    send({ type: 'error', id, message: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error) });
  }
});
