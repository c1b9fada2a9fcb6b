import { noGrad } from '../autograd.js';
import { ValueError } from '../errors.js';
import { full } from '../ops/creation.js';
import { normal as normalSample, uniform as uniformSample, type Generator } from '../random.js';
import type { Tensor } from '../tensor.js';

/** Options of the init functions. */
export interface InitOptions {
  generator?: Generator;
}

/** PyTorch's fan-in and fan-out of a weight: [out, in, ...receptive field]. */
export function fans(tensor: Tensor): { fanIn: number; fanOut: number } {
  if (tensor.rank < 2) throw new ValueError('init', 'tensor', `fan in/out needs at least 2 dimensions, got shape [${tensor.shape.join(', ')}]`);
  const receptive = tensor.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: tensor.shape[1] * receptive, fanOut: tensor.shape[0] * receptive };
}

function fill(tensor: Tensor, source: Tensor): Tensor {
  return noGrad(() => tensor.assign(source));
}

/** Fills in place with U(low, high). @example `uniform_(weight, -0.1, 0.1)` */
export function uniform_(tensor: Tensor, low = 0, high = 1, options: InitOptions = {}): Tensor {
  return fill(tensor, uniformSample(tensor.shape, low, high, { backend: tensor.backend, ...options }));
}

/** Fills in place with N(mean, std²). @example `normal_(embedding.weight)` */
export function normal_(tensor: Tensor, mean = 0, std = 1, options: InitOptions = {}): Tensor {
  return fill(tensor, normalSample(tensor.shape, mean, std, { backend: tensor.backend, ...options }));
}

/** Fills in place with a constant. @example `constant_(bias, 0)` */
export function constant_(tensor: Tensor, value: number): Tensor {
  return fill(tensor, full(tensor.shape, value, { backend: tensor.backend }));
}

/** Fills in place with zeros. */
export function zeros_(tensor: Tensor): Tensor {
  return constant_(tensor, 0);
}

/** Fills in place with ones. */
export function ones_(tensor: Tensor): Tensor {
  return constant_(tensor, 1);
}

/** Glorot/Xavier uniform: U(±gain·√(6 / (fanIn + fanOut))). @example `xavierUniform_(inProjWeight)` */
export function xavierUniform_(tensor: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const { fanIn, fanOut } = fans(tensor);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(tensor, -bound, bound, options);
}

/** Glorot/Xavier normal: N(0, gain²·2 / (fanIn + fanOut)). */
export function xavierNormal_(tensor: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const { fanIn, fanOut } = fans(tensor);
  return normal_(tensor, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), options);
}

function leakyGain(a: number): number {
  return Math.sqrt(2 / (1 + a * a));
}

/**
 * He/Kaiming uniform over fan-in with leaky-ReLU slope `a`. With `a = √5` it is PyTorch's
 * default for `nn.Linear` weights, U(±1/√fanIn).
 */
export function kaimingUniform_(tensor: Tensor, a = 0, options: InitOptions = {}): Tensor {
  const { fanIn } = fans(tensor);
  const bound = leakyGain(a) * Math.sqrt(3 / fanIn);
  return uniform_(tensor, -bound, bound, options);
}

/** He/Kaiming normal over fan-in: N(0, gain² / fanIn). */
export function kaimingNormal_(tensor: Tensor, a = 0, options: InitOptions = {}): Tensor {
  const { fanIn } = fans(tensor);
  return normal_(tensor, 0, leakyGain(a) / Math.sqrt(fanIn), options);
}
