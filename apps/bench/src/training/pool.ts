/**
 * Worker threads that train learning-suite jobs in parallel. CPU training runs one thread per
 * job (the WebAssembly kernels only split large recurrent sweeps), so on a machine with idle
 * cores several jobs at once finish the suite that many times sooner. A pool of one runs jobs
 * in the calling thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { runLearnJob, type LearnJob, type LearnJobResult } from '../suites/learn-job.js';

/** Messages from a training worker. */
export type PoolMessage = { type: 'step'; id: number; steps: number } | { type: 'done'; id: number; result: LearnJobResult } | { type: 'error'; id: number; message: string };

/** How many workers `requested` means (0: one per core). */
export function poolSize(requested: number): number {
  return requested > 0 ? requested : Math.max(1, availableParallelism());
}

/** Runs every job on `size` threads, calling `onResult` as each finishes and `onSteps` with step counts. */
export async function runJobs(
  jobs: readonly LearnJob[],
  size: number,
  onResult: (job: LearnJob, result: LearnJobResult) => void | Promise<void>,
  onSteps: (job: LearnJob, steps: number) => void,
): Promise<void> {
  if (size <= 1 || jobs.length <= 1) {
    for (const job of jobs) {
      let reported = 0;
      const result = runLearnJob(job, (step) => {
        if (step - reported >= 10) {
          onSteps(job, step - reported);
          reported = step;
        }
      });
      onSteps(job, job.config.steps - reported);
      await onResult(job, result);
    }
    return;
  }
  const queue = jobs.map((job, id) => ({ job, id }));
  const threads = Array.from({ length: Math.min(size, jobs.length) }, () => new Worker(new URL('./pool-worker-entry.mjs', import.meta.url)));
  try {
    await Promise.all(
      threads.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            let current: { job: LearnJob; id: number } | undefined;
            const next = (): void => {
              current = queue.shift();
              if (!current) {
                resolve();
                return;
              }
              worker.postMessage({ id: current.id, job: current.job });
            };
            worker.on('message', (message: PoolMessage) => {
              if (!current || message.id !== current.id) return;
              if (message.type === 'step') onSteps(current.job, message.steps);
              else if (message.type === 'error') reject(new Error(`training ${current.job.task} T=${current.job.length} ${current.job.kind}: ${message.message}`));
              else {
                Promise.resolve(onResult(current.job, message.result)).then(next, reject);
              }
            });
            worker.on('error', reject);
            worker.on('exit', (code) => {
              if (current) reject(new Error(`a training worker exited (code ${code}) during a job`));
            });
            next();
          }),
      ),
    );
  } finally {
    await Promise.all(threads.map((worker) => worker.terminate()));
  }
}
