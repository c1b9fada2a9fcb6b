/**
 * The peers suite's workloads written in jax-js (`@jax-js/jax`) as a JAX user would write them:
 * `np.matmul`, `nn.dotProductAttention`, and a `jit`-compiled `valueAndGrad` + Adam step. Used
 * in this process (jax-peer.ts) and in a child process on a newer Node (jax-child.ts).
 *
 * jax-js arrays are reference-counted: every call consumes its array arguments, so arrays that
 * are used again are passed as `array.ref`.
 */
import type * as JaxModule from '@jax-js/jax';
import type { Workload, WorkloadKind } from './workloads.js';

type Jax = typeof JaxModule;
type JaxArray = JaxModule.numpy.Array;

/** A ready jax-js run: `run` returns the output as floats. */
export interface JaxRun {
  variant: string;
  run(): Promise<Float32Array>;
  dispose(): void;
}

/** Workloads that use `nn.dotProductAttention`, whose einsum parser needs iterator helpers (Node ≥ 22). */
export const NEEDS_NODE_22: readonly WorkloadKind[] = ['attention', 'train-attention'];

/** The Node major version running this code. */
export const nodeMajor = (): number => Number(process.versions.node.split('.')[0]);

let loaded: Jax | null = null;

/** Imports jax-js and starts its wasm device (only that one: `init()` probes WebGPU through `navigator`, which Node 20 lacks). */
export async function loadJax(): Promise<Jax> {
  if (loaded) return loaded;
  const jax = await import('@jax-js/jax');
  const devices = await jax.init('wasm');
  if (!devices.includes('wasm')) throw new Error('jax-js: the wasm device did not start');
  jax.defaultDevice('wasm');
  loaded = jax;
  return jax;
}

/** `[rows, columns]` row-major → its transpose. */
function transpose(data: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = data[r * columns + c];
  return out;
}

const floats = async (array: JaxArray): Promise<Float32Array> => new Float32Array(await array.data());

type AttentionParams = { inWeight: JaxArray; inBias: JaxArray; outWeight: JaxArray; outBias: JaxArray };
type AdamState = { params: AttentionParams; m: AttentionParams; v: AttentionParams };

/** The jax-js runs for `workload`, or the reason there are none. */
export function jaxRuns(jax: Jax, workload: Workload): JaxRun[] | string {
  const { numpy: np, nn } = jax;
  const variant = `wasm, Node ${process.versions.node}`;
  if (workload.matmul) {
    const { size, a, b } = workload.matmul;
    const left = np.array(a).reshape([size, size]);
    const right = np.array(b).reshape([size, size]);
    return [{ variant, run: () => floats(np.matmul(left.ref, right.ref)), dispose: () => jax.tree.dispose([left, right]) }];
  }
  if (workload.attention) {
    const { length, depth } = workload.attention;
    // [B, L, N, H] = [1, L, 1, d].
    const [query, key, value] = [workload.attention.query, workload.attention.key, workload.attention.value].map((data) => np.array(data).reshape([1, length, 1, depth]));
    return [{ variant, run: () => floats(nn.dotProductAttention(query.ref, key.ref, value.ref)), dispose: () => jax.tree.dispose([query, key, value]) }];
  }
  const training = workload.training;
  if (training?.attention) {
    const { batch, length, width } = training;
    const weights = training.attention;
    const x = np.array(training.input).reshape([batch * length, width]);
    const params: AttentionParams = {
      inWeight: np.array(transpose(weights.inWeight, 3 * width, width)).reshape([width, 3 * width]),
      inBias: np.array(weights.inBias),
      outWeight: np.array(transpose(weights.outWeight, width, width)).reshape([width, width]),
      outBias: np.array(weights.outBias),
    };
    const loss = (p: AttentionParams, input: JaxArray): JaxArray => {
      const projected = np.matmul(input, p.inWeight).add(p.inBias);
      const [query, key, value] = np.split(projected, 3, -1).map((part) => part.reshape([batch, length, 1, width]));
      const attended = nn.dotProductAttention(query, key, value, { isCausal: true }).reshape([batch * length, width]);
      return np.mean(np.square(np.matmul(attended, p.outWeight).add(p.outBias)));
    };
    const [beta1, beta2, lr, eps] = [0.9, 0.999, 1e-3, 1e-8];
    // One compiled step: loss and gradients, then Adam (bias corrections passed in as scalars).
    const step = jax.jit((state: AdamState, input: JaxArray, correction1: JaxArray, correction2: JaxArray) => {
      const [value, grads] = jax.valueAndGrad(loss)(jax.tree.ref(state.params), input);
      const next: AdamState = { params: { ...state.params }, m: { ...state.m }, v: { ...state.v } };
      for (const name of Object.keys(grads) as (keyof AttentionParams)[]) {
        const gradient = grads[name];
        const m = state.m[name].mul(beta1).add(gradient.ref.mul(1 - beta1));
        const v = state.v[name].mul(beta2).add(np.square(gradient).mul(1 - beta2));
        const update = m.ref.div(correction1.ref).div(np.sqrt(v.ref.div(correction2.ref)).add(eps)).mul(lr);
        next.params[name] = state.params[name].sub(update);
        next.m[name] = m;
        next.v[name] = v;
      }
      correction1.dispose();
      correction2.dispose();
      return { state: next, value };
    });
    const zeros = (): AttentionParams => ({
      inWeight: np.zeros([width, 3 * width]),
      inBias: np.zeros([3 * width]),
      outWeight: np.zeros([width, width]),
      outBias: np.zeros([width]),
    });
    let state: AdamState = { params, m: zeros(), v: zeros() };
    let t = 0;
    return [
      {
        variant: `${variant}, jit`,
        run: async () => {
          t++;
          const result = step(state, x.ref, np.array([1 - beta1 ** t]), np.array([1 - beta2 ** t]));
          state = result.state;
          return floats(result.value);
        },
        dispose: () => {
          jax.tree.dispose([state, x]);
          step.dispose();
        },
      },
    ];
  }
  if (workload.lstm || training?.lstm) return 'jax-js has no LSTM layer (a hand-written lax.scan cell would not be what a user runs)';
  return 'not implemented for this workload';
}
