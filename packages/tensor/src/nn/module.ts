import { FormatError, ShapeError, ValueError, formatShape } from '../errors.js';
import { noGrad } from '../autograd.js';
import type { Tensor } from '../tensor.js';

/**
 * The base class of layers and models, like PyTorch's `nn.Module`: it owns parameters,
 * buffers and sub-modules under dotted names (`encoder.layers.0.weight`), saves and loads state
 * dicts, and switches between training and evaluation.
 *
 * @example
 * ```ts
 * class TwoLayer extends Module {
 *   readonly first = this.registerModule('first', new Linear(4, 8));
 *   readonly second = this.registerModule('second', new Linear(8, 2));
 *   forward(x: Tensor): Tensor { return this.second.forward(this.first.forward(x).relu()); }
 * }
 * const model = new TwoLayer();
 * console.log(Object.keys(model.stateDict())); // ['first.weight', 'first.bias', 'second.weight', 'second.bias']
 * ```
 */
export class Module {
  #parameters = new Map<string, Tensor | null>();
  #buffers = new Map<string, Tensor>();
  #modules = new Map<string, Module>();
  #training = true;

  /** Whether the module is in training mode (dropout active). */
  get training(): boolean {
    return this.#training;
  }

  /** Registers a parameter under `name` (it is made to require grad) and returns it. */
  registerParameter<T extends Tensor | null>(name: string, parameter: T): T {
    if (parameter && parameter.gradNode) {
      throw new ValueError('registerParameter', name, 'a parameter must be a leaf tensor (use detach())');
    }
    if (parameter && !parameter.requiresGrad) parameter.requiresGrad = true;
    this.#parameters.set(name, parameter);
    return parameter;
  }

  /** Registers a tensor that is saved in the state dict but not trained (running statistics, …). */
  registerBuffer(name: string, buffer: Tensor): Tensor {
    this.#buffers.set(name, buffer);
    return buffer;
  }

  /** Registers a sub-module under `name` and returns it. */
  registerModule<M extends Module>(name: string, module: M): M {
    this.#modules.set(name, module);
    return module;
  }

  /** Direct sub-modules with their names. */
  namedChildren(): [string, Module][] {
    return [...this.#modules];
  }

  /** This module and every sub-module, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, module] of this.#modules) out.push(...module.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** Every parameter with its dotted name, each tensor once. */
  namedParameters(): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [prefix, module] of this.namedModules()) {
      for (const [name, parameter] of module.#parameters) {
        if (!parameter || seen.has(parameter)) continue;
        seen.add(parameter);
        out.push([prefix ? `${prefix}.${name}` : name, parameter]);
      }
    }
    return out;
  }

  /** Every parameter, each tensor once (what an optimizer takes). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, parameter]) => parameter);
  }

  /** The total number of trainable elements. */
  numParameters(): number {
    return this.parameters().reduce((total, parameter) => total + parameter.size, 0);
  }

  /** Parameters and buffers by dotted name (PyTorch's `state_dict`). */
  stateDict(): Record<string, Tensor> {
    const state: Record<string, Tensor> = {};
    for (const [prefix, module] of this.namedModules()) {
      const join = (name: string): string => (prefix ? `${prefix}.${name}` : name);
      for (const [name, parameter] of module.#parameters) if (parameter) state[join(name)] = parameter;
      for (const [name, buffer] of module.#buffers) state[join(name)] = buffer;
    }
    return state;
  }

  /**
   * Copies values from `state` into this module's parameters and buffers, checking every shape.
   * With `strict` (the default), missing and unexpected names are errors.
   */
  loadStateDict(state: Record<string, Tensor>, options: { strict?: boolean } = {}): { missing: string[]; unexpected: string[] } {
    const own = this.stateDict();
    const missing = Object.keys(own).filter((name) => !(name in state));
    const unexpected = Object.keys(state).filter((name) => !(name in own));
    if ((options.strict ?? true) && (missing.length > 0 || unexpected.length > 0)) {
      throw new FormatError(
        'loadStateDict',
        `state dict does not match the module: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`,
      );
    }
    for (const [name, target] of Object.entries(own)) {
      const source = state[name];
      if (!source) continue;
      if (formatShape(source.shape) !== formatShape(target.shape)) {
        throw new ShapeError('loadStateDict', name, formatShape(target.shape), source.shape);
      }
    }
    noGrad(() => {
      for (const [name, target] of Object.entries(own)) {
        const source = state[name];
        if (source) target.assign(source);
      }
    });
    return { missing, unexpected };
  }

  /** Sets training mode on this module and every sub-module. */
  train(mode = true): this {
    for (const [, module] of this.namedModules()) module.#training = mode;
    return this;
  }

  /** Sets evaluation mode (dropout off). */
  eval(): this {
    return this.train(false);
  }

  /** Clears `.grad` of every parameter. */
  zeroGrad(): void {
    for (const parameter of this.parameters()) parameter.zeroGrad();
  }
}

/**
 * An indexed list of modules whose parameters are named `0.weight`, `1.weight`, … (PyTorch's `ModuleList`).
 *
 * @example
 * ```ts
 * const layers = new ModuleList([new Linear(4, 4), new Linear(4, 4)]);
 * ```
 */
export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[] = [];

  constructor(modules: readonly M[] = []) {
    super();
    for (const module of modules) this.push(module);
  }

  /** Appends a module (named by its index). */
  push(module: M): this {
    this.registerModule(String(this.items.length), module);
    this.items.push(module);
    return this;
  }

  /** The module at `index`. */
  at(index: number): M {
    const module = this.items.at(index);
    if (!module) throw new ValueError('ModuleList.at', 'index', `${index} is out of range for ${this.items.length} modules`);
    return module;
  }

  get length(): number {
    return this.items.length;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}
