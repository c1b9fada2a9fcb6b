/**
 * What the Transformer layers share: their options (PyTorch's, camelCased), the feed-forward
 * activation, and the checks of `dModel` / `nhead`.
 *
 * Legend: `B` batch, `L` target (query) length, `S` source (key) length, `E` = `dModel`.
 */
import { ValueError, dropout, gelu, relu, type Generator, type Linear, type Tensor } from '@heed/tensor';
import { resolveAttentionCore, type AttentionCore } from '../attention-core.js';

/** A feed-forward activation: PyTorch's `'relu'` or `'gelu'` (exact, erf form), or any function. */
export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

/**
 * Options of `TransformerEncoderLayer`, `TransformerDecoderLayer` and `Transformer`, named after
 * PyTorch's (`dim_feedforward` → `dimFeedforward`, `norm_first` → `normFirst`, …).
 */
export interface TransformerLayerOptions {
  /** Width of the feed-forward network (default 2048, as PyTorch). */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward network, in training mode (default 0.1, as PyTorch). */
  dropout?: number;
  /**
   * Dropout on the attention weights (default `dropout` with the dense core, 0 with the others,
   * which never form the weights; a positive value with another core is an error).
   */
  attentionDropout?: number;
  /** Feed-forward activation (default `'relu'`). */
  activation?: TransformerActivation;
  /** LayerNorm epsilon (default 1e-5). */
  layerNormEps?: number;
  /** Pre-norm (`x + f(norm(x))`) instead of PyTorch's default post-norm (`norm(x + f(x))`); default false. */
  normFirst?: boolean;
  /**
   * Inputs and outputs are `[B, L, E]` (default **true**, unlike PyTorch's False: heed is
   * batch-first everywhere). Set false for `[L, B, E]`.
   */
  batchFirst?: boolean;
  /** Biases in the linear layers and layer norms (default true; PyTorch ≥ 2.1's `bias`). */
  bias?: boolean;
  /** How attention is computed (default `'dense'`): `'memory-efficient'`, a local window or linear; see `AttentionCore`. */
  attentionCore?: AttentionCore;
  /** Generator for the initial weights and for dropout (default: the global one). */
  generator?: Generator;
}

/** The options with PyTorch's defaults filled in. */
export interface ResolvedTransformerLayerOptions {
  readonly dimFeedforward: number;
  readonly dropout: number;
  readonly attentionDropout: number;
  readonly activation: TransformerActivation;
  readonly layerNormEps: number;
  readonly normFirst: boolean;
  readonly batchFirst: boolean;
  readonly bias: boolean;
  readonly attentionCore: AttentionCore;
  readonly generator: Generator | undefined;
}

function checkProbability(op: string, name: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new ValueError(op, name, `must be in [0, 1], got ${String(value)}`);
}

/**
 * Checks `dModel`, `nhead` and the options of a Transformer layer and fills in the defaults.
 *
 * @example
 * ```ts
 * resolveTransformerLayerOptions('TransformerEncoderLayer', 64, 4, { normFirst: true }).dimFeedforward; // 2048
 * ```
 */
export function resolveTransformerLayerOptions(op: string, dModel: number, nhead: number, options: TransformerLayerOptions): ResolvedTransformerLayerOptions {
  if (!Number.isInteger(dModel) || dModel < 1) throw new ValueError(op, 'dModel', `must be a positive integer, got ${dModel}`);
  if (!Number.isInteger(nhead) || nhead < 1 || dModel % nhead !== 0) throw new ValueError(op, 'nhead', `must be a positive integer dividing dModel ${dModel}, got ${nhead}`);
  const dimFeedforward = options.dimFeedforward ?? 2048;
  if (!Number.isInteger(dimFeedforward) || dimFeedforward < 1) throw new ValueError(op, 'dimFeedforward', `must be a positive integer, got ${dimFeedforward}`);
  const dropout = options.dropout ?? 0.1;
  checkProbability(op, 'dropout', dropout);
  const attentionCore = options.attentionCore ?? 'dense';
  const dense = resolveAttentionCore(op, attentionCore).kind === 'dense';
  const attentionDropout = options.attentionDropout ?? (dense ? dropout : 0);
  checkProbability(op, 'attentionDropout', attentionDropout);
  if (!dense && attentionDropout > 0) {
    throw new ValueError(op, 'attentionDropout', `must be 0 with attentionCore ${JSON.stringify(attentionCore)} (only 'dense' forms the weights dropout acts on), got ${attentionDropout}`);
  }
  const activation = options.activation ?? 'relu';
  if (activation !== 'relu' && activation !== 'gelu' && typeof activation !== 'function') {
    throw new ValueError(op, 'activation', `expected 'relu', 'gelu' or a function, got ${String(activation)}`);
  }
  const layerNormEps = options.layerNormEps ?? 1e-5;
  if (typeof layerNormEps !== 'number' || !(layerNormEps > 0)) throw new ValueError(op, 'layerNormEps', `must be a positive number, got ${String(layerNormEps)}`);
  return {
    dimFeedforward,
    dropout,
    attentionDropout,
    activation,
    layerNormEps,
    normFirst: options.normFirst ?? false,
    batchFirst: options.batchFirst ?? true,
    bias: options.bias ?? true,
    attentionCore,
    generator: options.generator,
  };
}

/**
 * Applies a Transformer activation.
 *
 * @example
 * ```ts
 * activate('gelu', randn([2, 3]));
 * ```
 */
export function activate(activation: TransformerActivation, x: Tensor): Tensor {
  if (activation === 'relu') return relu(x);
  if (activation === 'gelu') return gelu(x);
  return activation(x);
}

/** What the feed-forward block reads from a layer. */
export interface FeedForwardLayer {
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly config: ResolvedTransformerLayerOptions;
  readonly training: boolean;
}

/**
 * The residual-branch dropout of a Transformer layer (`dropout1`, `dropout2`, … in PyTorch).
 *
 * @example
 * ```ts
 * layerDropout(layer, attended); // identity in eval mode
 * ```
 */
export function layerDropout(layer: FeedForwardLayer, x: Tensor): Tensor {
  return dropout(x, layer.config.dropout, layer.training, layer.config.generator);
}

/**
 * A Transformer layer's feed-forward block: `dropout(linear2(dropout(σ(linear1(x)))))`.
 *
 * @example
 * ```ts
 * feedForwardBlock(layer, x); // x [B, L, E] → [B, L, E]
 * ```
 */
export function feedForwardBlock(layer: FeedForwardLayer, x: Tensor): Tensor {
  return layerDropout(layer, layer.linear2.forward(layerDropout(layer, activate(layer.config.activation, layer.linear1.forward(x)))));
}
