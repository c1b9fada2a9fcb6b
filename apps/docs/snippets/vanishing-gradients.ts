// Backpropagation through time: how much does the input at step t still matter at step T?
import { Generator, randn, type Tensor } from '@heed/tensor';

const T = 40;
const H = 16;

/** ‖∂h_T/∂x_t‖ (through the loss sum(h_T)) for a tanh RNN h_t = tanh(W h_{t-1} + x_t). */
function gradientNorms(gain: number, linear: boolean): number[] {
  const generator = new Generator(3);
  const weight = randn([H, H], { generator }).mul(gain / Math.sqrt(H)); // spectral radius ≈ gain
  const inputs: Tensor[] = Array.from({ length: T }, () => randn([H], { generator }).mul(0.1).requiresGrad_());
  let state = randn([H], { generator }).mul(0);
  for (const input of inputs) {
    const preActivation = weight.matmul(state.unsqueeze(1)).squeeze(1).add(input);
    state = linear ? preActivation : preActivation.tanh();
  }
  state.sum().backward();
  return inputs.map((input) => Math.sqrt(input.grad!.square().sum().item()));
}

const steps = [39, 30, 20, 10, 0]; // 0, 9, 19, 29 and 39 steps before the end
const show = (norms: number[]) => steps.map((t) => norms[t].toExponential(1)).join('  ');
console.log(`t =                 ${steps.map((t) => String(t).padEnd(7)).join('  ')}`);
console.log(`tanh RNN, gain 0.9  ${show(gradientNorms(0.9, false))}`);
console.log(`linear, gain 0.9    ${show(gradientNorms(0.9, true))}`);
console.log(`linear, gain 1.3    ${show(gradientNorms(1.3, true))}`);

// Output:
// t =                 39       30       20       10       0
// tanh RNN, gain 0.9  3.9e+0  5.1e-1  3.9e-2  4.2e-3  4.7e-4
// linear, gain 0.9    4.0e+0  8.3e-1  7.6e-2  7.7e-3  9.7e-4
// linear, gain 1.3    4.0e+0  2.3e+1  8.2e+1  3.3e+2  1.6e+3
