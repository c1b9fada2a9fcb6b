import { describe, expect, it } from 'vitest';
import { applyLearnOverrides, presetConfig } from '../src/config.js';
import { learnJobs } from '../src/suites/learn.js';
import { runLearnJob, type LearnJob, type LearnJobResult } from '../src/suites/learn-job.js';
import { runJobs } from '../src/training/pool.js';

function tinyJobs(): LearnJob[] {
  const config = applyLearnOverrides(presetConfig('quick'), { tasks: ['copy', 'listops'], lengths: [16], models: ['lstm', 'linear'], steps: 10 });
  config.learn.evaluationSize = 16;
  config.learn.lossEvery = 1;
  const baselines = new Map([
    ['copy:16', { name: 'memoryless', score: 0.125 }],
    ['listops:16', { name: 'memoryless', score: 0.2 }],
  ]);
  return learnJobs({ config, options: { seed: 5 } as never }, baselines, () => false);
}

describe('learning jobs', () => {
  it('one job per task, length, trained model and seed, the costliest first', () => {
    const jobs = tinyJobs();
    expect(jobs).toHaveLength(4);
    expect(jobs.slice(0, 2).every((job) => job.kind === 'transformer-linear')).toBe(true);
  });

  it('give the same result on worker threads as in the calling thread (seeded, deterministic)', async () => {
    const jobs = tinyJobs();
    const threaded = new Map<LearnJob, LearnJobResult>();
    let steps = 0;
    await runJobs(jobs, 2, (job, result) => void threaded.set(job, result), (_job, count) => (steps += count));
    expect(steps).toBe(jobs.length * 10);
    for (const job of jobs) {
      const inline = runLearnJob(job);
      const remote = threaded.get(job)!;
      expect(remote.row.score).toBe(inline.row.score);
      expect(remote.row.curve.map((point) => point.loss)).toEqual(inline.row.curve.map((point) => point.loss));
      expect(remote.row.curve).toHaveLength(10);
      expect(['converged', 'still-improving']).toContain(remote.row.convergence.status);
    }
  }, 120_000);
});
