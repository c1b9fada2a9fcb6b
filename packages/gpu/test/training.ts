// Two small training runs written with @heed/tensor ops only (so they run unchanged on every
// backend, in Node and in the browser bundle): a one-layer causal self-attention regressor with a
// padding mask, and an LSTM regressor. Each returns the loss of every step, read with
// `await tensor.data()` so WebGPU (asynchronous) runs them too.
import {
  Adam,
  Generator,
  Linear,
  Module,
  crossEntropy,
  mseLoss,
  arange,
  ones,
  randint,
  randn,
  withBackend,
  zeros,
  type Backend,
  type Tensor,
} from '@heed/tensor';

/** Causal self-attention over [B, T, E] with a key padding mask, then a token classifier. */
class TinyAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly head: Linear;
  constructor(embed: number, classes: number, generator: Generator) {
    super();
    this.query = this.registerModule('query', new Linear(embed, embed, { generator }));
    this.key = this.registerModule('key', new Linear(embed, embed, { generator }));
    this.value = this.registerModule('value', new Linear(embed, embed, { generator }));
    this.head = this.registerModule('head', new Linear(embed, classes, { generator }));
  }

  forward(x: Tensor, keep: Tensor): Tensor {
    const [, steps, embed] = x.shape;
    const scores = this.query.forward(x).matmul(this.key.forward(x).transpose(-2, -1)).mul(1 / Math.sqrt(embed));
    const positions = arange(steps);
    const causal = positions.unsqueeze(1).ge(positions.unsqueeze(0));
    const allowed = causal.logicalAnd(keep.unsqueeze(1));
    const weights = scores.maskedFill(allowed.logicalNot(), -Infinity).softmax(-1);
    return this.head.forward(weights.matmul(this.value.forward(x)).tanh());
  }
}

/** An LSTM (gates i, f, g, o) over [B, T, I] and a regression head on the last hidden state. */
class TinyLstm extends Module {
  readonly input: Linear;
  readonly hidden: Linear;
  readonly head: Linear;
  constructor(
    inputSize: number,
    readonly hiddenSize: number,
    generator: Generator,
  ) {
    super();
    this.input = this.registerModule('input', new Linear(inputSize, 4 * hiddenSize, { generator }));
    this.hidden = this.registerModule('hidden', new Linear(hiddenSize, 4 * hiddenSize, { generator, bias: false }));
    this.head = this.registerModule('head', new Linear(hiddenSize, 1, { generator }));
  }

  forward(x: Tensor): Tensor {
    const [batch, steps] = x.shape;
    const size = this.hiddenSize;
    let h = zeros([batch, size]);
    let c = h;
    const projected = this.input.forward(x);
    for (let t = 0; t < steps; t++) {
      const gates = projected.slice(1, t, t + 1).squeeze(1).add(this.hidden.forward(h));
      const i = gates.slice(1, 0, size).sigmoid();
      const f = gates.slice(1, size, 2 * size).sigmoid();
      const g = gates.slice(1, 2 * size, 3 * size).tanh();
      const o = gates.slice(1, 3 * size, 4 * size).sigmoid();
      c = f.mul(c).add(i.mul(g));
      h = o.mul(c.tanh());
    }
    return this.head.forward(h);
  }
}

/** Losses of `steps` Adam steps of the attention classifier on `backend`. */
export async function trainAttention(backend: Backend, steps = 6): Promise<number[]> {
  const losses: number[] = [];
  const [model, optimizer, x, keep, target] = withBackend(backend, () => {
    const generator = new Generator(7);
    const model = new TinyAttention(8, 5, generator);
    const x = randn([2, 6, 8], { generator });
    const keep = ones([2, 6]).gt(0).logicalAnd(randn([2, 6], { generator }).gt(-1.2));
    const target = randint(0, 5, [12], { generator });
    return [model, new Adam(model.parameters(), { lr: 0.02 }), x, keep, target] as const;
  });
  for (let step = 0; step < steps; step++) {
    const loss = withBackend(backend, () => {
      optimizer.zeroGrad();
      const logits = model.forward(x, keep).reshape([12, 5]);
      const loss = crossEntropy(logits, target);
      loss.backward();
      optimizer.step();
      return loss;
    });
    losses.push((await loss.data())[0]);
  }
  return losses;
}

/** Losses of `steps` Adam steps of the LSTM regressor on `backend`. */
export async function trainLstm(backend: Backend, steps = 6, onStep?: (step: number) => Promise<void> | void): Promise<number[]> {
  const losses: number[] = [];
  const [model, optimizer, x, target] = withBackend(backend, () => {
    const generator = new Generator(11);
    const model = new TinyLstm(3, 6, generator);
    const x = randn([4, 7, 3], { generator });
    const target = randn([4, 1], { generator });
    return [model, new Adam(model.parameters(), { lr: 0.03 }), x, target] as const;
  });
  for (let step = 0; step < steps; step++) {
    const loss = withBackend(backend, () => {
      optimizer.zeroGrad();
      const loss = mseLoss(model.forward(x), target);
      loss.backward();
      optimizer.step();
      return loss;
    });
    losses.push((await loss.data())[0]);
    await onStep?.(step);
  }
  return losses;
}

/** The largest relative difference between two loss curves (relative to max(|cpu|, 1e-3)). */
export function lossDifference(got: readonly number[], want: readonly number[]): number {
  let worst = got.length === want.length ? 0 : Infinity;
  want.forEach((value, index) => {
    const difference = Math.abs(got[index] - value) / Math.max(Math.abs(value), 1e-3);
    worst = Number.isNaN(difference) ? Infinity : Math.max(worst, difference);
  });
  return worst;
}
