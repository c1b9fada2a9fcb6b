import type { FusedKernelName, FusedKernels, RecurrentSweepArgs, View } from '@heed/tensor';
import type { Device, GpuHandle } from '../device.js';
import { attentionBackwardSubmit } from './attention-backward.js';
import { attentionSupported } from './attention-common.js';
import { attentionForwardSubmit } from './attention-forward.js';
import { matmulDispatches } from './matmul.js';
import { recurrentSubmit, type RecurrentCell } from './recurrent.js';
import type { BufferResult, WgslRuntime } from './runtime.js';

type Fused<K extends FusedKernelName> = (args: FusedKernels<GpuHandle>[K]['args']) => FusedKernels<GpuHandle>[K]['result'];

/** The kernels the WebGPU mode runs as hand-written WGSL instead of gpu.js programs. */
export interface WgslKernels {
  matmul(a: View<GpuHandle>, b: View<GpuHandle>): GpuHandle;
  /** Null when the head dimension is over what the kernel holds in registers (the gpu.js kernels run then). */
  attentionForward(args: FusedKernels<GpuHandle>['attentionForward']['args']): FusedKernels<GpuHandle>['attentionForward']['result'] | null;
  attentionBackward(args: FusedKernels<GpuHandle>['attentionBackward']['args']): FusedKernels<GpuHandle>['attentionBackward']['result'] | null;
  lstmSequence: Fused<'lstmSequence'>;
  gruSequence: Fused<'gruSequence'>;
  rnnSequence: Fused<'rnnSequence'>;
  /** Compiled WGSL pipelines. */
  readonly compiled: number;
}

const handles = (...views: (View<GpuHandle> | null)[]): (GpuHandle | null)[] => views.map((view) => view?.handle ?? null);

/** Binds the WGSL kernels to a WebGPU-mode device (`runtime` shares its GPUDevice). */
export function wgslKernels(device: Device, runtime: WgslRuntime, keySplits?: number): WgslKernels {
  return {
    matmul(a, b) {
      const [batches, rows] = a.shape;
      const size = batches * rows * b.shape[2];
      return device.runCustom('matmul', [size], handles(a, b), async ([aValue, bValue]) => {
        if (size === 0) return [null];
        const out = runtime.wrap(runtime.storage(size), size);
        await runtime.submit(matmulDispatches(a, b, aValue as BufferResult | null, bValue as BufferResult | null, out, runtime));
        return [out];
      })[0];
    },
    attentionForward(args) {
      if (!attentionSupported(args, runtime)) return null;
      const [batches, queries] = args.query.shape;
      const sizes = [batches * queries * args.value.shape[2], batches * queries];
      const [output, logSumExp] = device.runCustom('attentionForward', sizes, handles(args.query, args.key, args.value, args.mask), (values) =>
        attentionForwardSubmit(runtime, { ...args, splits: keySplits }, values as (BufferResult | null)[], sizes),
      );
      return { output, logSumExp };
    },
    attentionBackward(args) {
      if (!attentionSupported(args, runtime)) return null;
      const sizes = [args.query, args.key, args.value].map((view) => view.shape[0] * view.shape[1] * view.shape[2]);
      const inputs = handles(args.query, args.key, args.value, args.mask, args.output, args.logSumExp, args.gradOutput);
      const [gradQuery, gradKey, gradValue] = device.runCustom('attentionBackward', sizes, inputs, (values) =>
        attentionBackwardSubmit(runtime, { ...args, splits: keySplits }, values as (BufferResult | null)[], sizes),
      );
      return { gradQuery, gradKey, gradValue };
    },
    lstmSequence(args) {
      const [output, hidden, cell, gates, cells] = sweep(device, runtime, 'lstm', args, args.cell, args.saveForBackward);
      return { output: output!, hidden: hidden!, cell: cell!, gates, cells };
    },
    gruSequence(args) {
      const [output, hidden, , gates] = sweep(device, runtime, 'gru', args, null, args.saveForBackward);
      return { output: output!, hidden: hidden!, gates };
    },
    rnnSequence(args) {
      const [output, hidden] = sweep(device, runtime, args.nonlinearity === 'relu' ? 'relu' : 'tanh', args, null, false);
      return { output: output!, hidden: hidden! };
    },
    get compiled() {
      return runtime.compiled;
    },
  };
}

/** Runs one recurrent sweep; returns output, hidden, cell, gates, cells (null where the cell has none). */
function sweep(
  device: Device,
  runtime: WgslRuntime,
  cell: RecurrentCell,
  args: RecurrentSweepArgs<GpuHandle>,
  cellState: View<GpuHandle> | null,
  save: boolean,
): (GpuHandle | null)[] {
  const [steps, batch] = args.projected.shape;
  const size = args.hidden.shape[1];
  const rows = steps * batch;
  const lstm = cell === 'lstm';
  const gated = lstm || cell === 'gru';
  const sizes = [rows * size, batch * size, lstm ? batch * size : -1, save && gated ? rows * 4 * size : -1, save && lstm ? rows * size : -1];
  const present = sizes.filter((value) => value >= 0);
  const inputs = handles(args.projected, args.weightHidden, args.biasHidden, args.hidden, cellState);
  const results = device.runCustom(`${cell}Sequence`, present, inputs, (values) => recurrentSubmit(runtime, cell, { ...args, cell: cellState }, values as (BufferResult | null)[], present, save));
  let next = 0;
  return sizes.map((value) => (value >= 0 ? results[next++] : null));
}
