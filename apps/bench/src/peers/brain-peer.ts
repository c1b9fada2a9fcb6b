/**
 * brain.js in the peers suite: its `recurrent.LSTMTimeStep` network, the LSTM brain.js offers.
 * It runs one sequence at a time (no batch), initialises its own weights (they cannot be set
 * from ours, so there is no output check), and trains only through `train()` on whole data sets,
 * so it has the batch-1 forward row only.
 */
import type { Peer, PreparedRun } from './peer.js';
import type { Workload } from './workloads.js';

interface LstmTimeStep {
  initialize(): void;
  bindEquation(): void;
  run(input: number[][]): unknown;
}

interface BrainModule {
  recurrent: { LSTMTimeStep: new (options: { inputSize: number; hiddenLayers: number[]; outputSize: number }) => LstmTimeStep };
}

/** brain.js's LSTMTimeStep (CPU; its recurrent networks have no GPU path). */
export function brainPeer(): Peer {
  let brain: BrainModule | null = null;
  return {
    library: 'brain.js',
    async load() {
      const module = (await import('brain.js')) as unknown as { default?: BrainModule } & Partial<BrainModule>;
      const resolved = module.recurrent ? (module as BrainModule) : module.default;
      if (!resolved?.recurrent?.LSTMTimeStep) throw new Error('brain.js has no recurrent.LSTMTimeStep export');
      brain = resolved;
    },
    prepare(workload: Workload): Promise<PreparedRun[] | string> {
      if (!brain) return Promise.resolve('not loaded');
      if (workload.kind === 'lstm') return Promise.resolve('LSTMTimeStep runs one sequence at a time (no batch dimension); see the batch-1 row');
      if (workload.kind !== 'lstm-batch1' || !workload.lstm) {
        return Promise.resolve(workload.kind.startsWith('train') ? 'trains only through train() on whole data sets' : 'no such operation in brain.js');
      }
      const { steps, inputSize, hidden, input } = workload.lstm;
      const network = new brain.recurrent.LSTMTimeStep({ inputSize, hiddenLayers: [hidden], outputSize: inputSize });
      network.initialize();
      // run() needs bound equations, which train() normally creates; binding one is enough.
      network.bindEquation();
      const sequence = Array.from({ length: steps }, (_, t) => Array.from(input.subarray(t * inputSize, (t + 1) * inputSize)));
      return Promise.resolve([
        {
          variant: 'LSTMTimeStep',
          run: () => {
            network.run(sequence);
            return Promise.resolve(null);
          },
        },
      ]);
    },
  };
}
