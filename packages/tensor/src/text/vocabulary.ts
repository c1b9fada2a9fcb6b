import { FormatError, ValueError } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { Tensor } from '../tensor.js';
import { tokenize, type TokenLevel } from './tokenize.js';

/**
 * The special tokens of a {@link Vocabulary}. They take the first ids, in this order: `pad`,
 * `unk`, `bos`, `eos` (those not set to `null`), then `extra`. Unset ones keep their defaults
 * (`<pad>` = 0, `<unk>` = 1, `<bos>` = 2, `<eos>` = 3); `null` leaves one out (its id property
 * is then `undefined`, and the ids after it move down).
 */
export interface SpecialTokens {
  /** Padding, used by {@link Vocabulary.batch} (default `<pad>`). */
  pad?: string | null;
  /** Stands in for tokens not in the vocabulary (default `<unk>`). Without it, encoding an unknown token throws. */
  unk?: string | null;
  /** Beginning of sequence (default `<bos>`). */
  bos?: string | null;
  /** End of sequence (default `<eos>`). */
  eos?: string | null;
  /** More special tokens (`<mask>`, `<sep>`, …), after the four above. */
  extra?: readonly string[];
}

/** Options of {@link Vocabulary.fromTokens}. */
export interface VocabularyOptions {
  /** How text is cut into tokens (default `'char'`); see {@link tokenize}. */
  level?: TokenLevel;
  specials?: SpecialTokens;
}

/** Options of {@link Vocabulary.fromText}. */
export interface VocabularyFromTextOptions extends VocabularyOptions {
  /** Keep tokens seen at least this often (default 1; torchtext's `min_freq`). */
  minFrequency?: number;
  /** At most this many tokens in all, specials included (torchtext's `max_tokens`); the most frequent win. */
  maxSize?: number;
}

/** Options of {@link Vocabulary.encode}. */
export interface EncodeOptions {
  /** Start with the `bos` id. */
  addBos?: boolean;
  /** End with the `eos` id. */
  addEos?: boolean;
}

/** Options of {@link Vocabulary.batch}. */
export interface BatchOptions extends EncodeOptions {
  /** The length T of every row (default: the longest sequence). A longer sequence throws unless `truncate`. */
  padTo?: number;
  /** Cut sequences longer than `padTo` instead of throwing. */
  truncate?: boolean;
}

/** What {@link Vocabulary.batch} returns. */
export interface EncodedBatch {
  /** int32 [B, T]: the token ids, padded on the right with the `pad` id. */
  ids: Tensor;
  /** bool [B, T]: true where `ids` is padding (PyTorch's `key_padding_mask` meaning). */
  paddingMask: Tensor;
  /** The unpadded length of each row, [B] numbers. */
  lengths: number[];
}

/** Options of {@link Vocabulary.decode}. */
export interface DecodeOptions {
  /** Leave special tokens (`<pad>`, `<bos>`, …) out of the text. */
  skipSpecials?: boolean;
  /** Stop at the first `eos` id. */
  stopAtEos?: boolean;
}

/** The saved form of a {@link Vocabulary} (`toJSON`), plain JSON. */
export interface VocabularyJSON {
  format: 'heed.vocabulary';
  version: 1;
  level: TokenLevel;
  /** Every token, index = id, specials first. */
  tokens: string[];
  /** Which tokens are the special ones. */
  specials: { pad: string | null; unk: string | null; bos: string | null; eos: string | null; extra: string[] };
}

const DEFAULT_SPECIALS = { pad: '<pad>', unk: '<unk>', bos: '<bos>', eos: '<eos>' } as const;
const ROLES = ['pad', 'unk', 'bos', 'eos'] as const;

function resolveSpecials(specials: SpecialTokens = {}): VocabularyJSON['specials'] {
  const resolved = {
    pad: specials.pad === undefined ? DEFAULT_SPECIALS.pad : specials.pad,
    unk: specials.unk === undefined ? DEFAULT_SPECIALS.unk : specials.unk,
    bos: specials.bos === undefined ? DEFAULT_SPECIALS.bos : specials.bos,
    eos: specials.eos === undefined ? DEFAULT_SPECIALS.eos : specials.eos,
    extra: [...(specials.extra ?? [])],
  };
  const all = [...ROLES.map((role) => resolved[role]).filter((token) => token !== null), ...resolved.extra];
  for (const token of all) {
    if (typeof token !== 'string' || token.length === 0) throw new ValueError('Vocabulary', 'specials', `special tokens must be non-empty strings, got ${JSON.stringify(token)}`);
  }
  if (new Set(all).size !== all.length) throw new ValueError('Vocabulary', 'specials', `special tokens must differ, got ${JSON.stringify(all)}`);
  return resolved;
}

/**
 * Tokens ↔ integer ids, for characters or words, with special tokens (`<pad>`, `<unk>`,
 * `<bos>`, `<eos>`) at fixed ids first: `<pad>` = 0 by default, so zero-padded batches and
 * `crossEntropy(..., { ignoreIndex: vocabulary.padId })` line up.
 *
 * For torchtext users: {@link Vocabulary.tokenToId} is `vocab[token]` / `stoi[token]`
 * (`get_stoi()`), {@link Vocabulary.idToToken} and {@link Vocabulary.tokens} are `itos`
 * (`get_itos()`), {@link Vocabulary.fromText} is `build_vocab_from_iterator` (frequency order,
 * ties in code-point order, `min_freq`, `max_tokens`), and an `<unk>` token plays the part of
 * `set_default_index`. Dimension legend: `B` batch, `T` time (tokens).
 *
 * @example
 * ```ts
 * const vocabulary = Vocabulary.fromText('hello world');          // character level
 * vocabulary.encode('hold', { addBos: true });                     // [2, ids of h, o, l, d]
 * vocabulary.decode(vocabulary.encode('hello'));                   // 'hello'
 * const { ids, paddingMask } = vocabulary.batch(['he', 'world']); // int32 [2, 5], bool [2, 5]
 * const saved = JSON.stringify(vocabulary);                        // toJSON
 * const again = Vocabulary.fromJSON(saved);
 * ```
 */
export class Vocabulary {
  /** How text is cut into tokens. */
  readonly level: TokenLevel;
  /** Id of `<pad>` (0 by default), `undefined` when the vocabulary has none. */
  readonly padId: number | undefined;
  /** Id of `<unk>`, which unknown tokens encode to; `undefined` when there is none (unknown tokens then throw). */
  readonly unkId: number | undefined;
  /** Id of `<bos>`, `undefined` when there is none. */
  readonly bosId: number | undefined;
  /** Id of `<eos>`, `undefined` when there is none. */
  readonly eosId: number | undefined;
  readonly #tokens: readonly string[];
  readonly #ids: Map<string, number>;
  readonly #specials: VocabularyJSON['specials'];
  readonly #specialCount: number;

  /**
   * A vocabulary of the specials, then `tokens` in the order given (duplicates and tokens equal
   * to a special are skipped). Same as {@link Vocabulary.fromTokens}.
   */
  constructor(tokens: Iterable<string>, options: VocabularyOptions = {}) {
    const level = options.level ?? 'char';
    if (level !== 'char' && level !== 'word') throw new ValueError('Vocabulary', 'level', `must be 'char' or 'word', got ${JSON.stringify(level)}`);
    this.level = level;
    this.#specials = resolveSpecials(options.specials);
    const specials = [...ROLES.map((role) => this.#specials[role]).filter((token): token is string => token !== null), ...this.#specials.extra];
    const all = [...specials];
    const seen = new Set(all);
    for (const token of tokens) {
      if (typeof token !== 'string' || token.length === 0) throw new ValueError('Vocabulary', 'tokens', `tokens must be non-empty strings, got ${JSON.stringify(token)}`);
      if (seen.has(token)) continue;
      seen.add(token);
      all.push(token);
    }
    this.#tokens = all;
    this.#specialCount = specials.length;
    this.#ids = new Map(all.map((token, id) => [token, id]));
    const idOf = (token: string | null) => (token === null ? undefined : this.#ids.get(token));
    this.padId = idOf(this.#specials.pad);
    this.unkId = idOf(this.#specials.unk);
    this.bosId = idOf(this.#specials.bos);
    this.eosId = idOf(this.#specials.eos);
  }

  /** A vocabulary of the specials, then `tokens` in the order given (torchtext's `vocab(ordered_dict)`). */
  static fromTokens(tokens: Iterable<string>, options: VocabularyOptions = {}): Vocabulary {
    return new Vocabulary(tokens, options);
  }

  /**
   * Builds a vocabulary from text (a string or several): tokenizes at `level`, counts, keeps the
   * tokens seen at least `minFrequency` times, most frequent first (ties in code-point order, as
   * torchtext's `build_vocab_from_iterator`), at most `maxSize` tokens in all, specials included.
   */
  static fromText(text: string | Iterable<string>, options: VocabularyFromTextOptions = {}): Vocabulary {
    const level = options.level ?? 'char';
    const minFrequency = options.minFrequency ?? 1;
    if (!Number.isInteger(minFrequency) || minFrequency < 1) throw new ValueError('Vocabulary.fromText', 'minFrequency', `must be a positive integer, got ${minFrequency}`);
    if (level !== 'char' && level !== 'word') throw new ValueError('Vocabulary.fromText', 'level', `must be 'char' or 'word', got ${JSON.stringify(level)}`);
    const counts = new Map<string, number>();
    for (const part of typeof text === 'string' ? [text] : text) {
      for (const token of tokenize(part, level)) counts.set(token, (counts.get(token) ?? 0) + 1);
    }
    const ranked = [...counts].filter(([, count]) => count >= minFrequency).sort(([a, countA], [b, countB]) => countB - countA || (a < b ? -1 : a > b ? 1 : 0));
    const vocabulary = new Vocabulary(ranked.map(([token]) => token), options);
    if (options.maxSize === undefined) return vocabulary;
    const specialCount = vocabulary.#specialCount;
    if (!Number.isInteger(options.maxSize) || options.maxSize < specialCount) {
      throw new ValueError('Vocabulary.fromText', 'maxSize', `must be an integer of at least the ${specialCount} special tokens, got ${options.maxSize}`);
    }
    return new Vocabulary(vocabulary.#tokens.slice(specialCount, options.maxSize), options);
  }

  /** Rebuilds a vocabulary saved with `toJSON` (or `JSON.stringify`), from the object or its text. */
  static fromJSON(json: VocabularyJSON | string): Vocabulary {
    let value: unknown = json;
    if (typeof json === 'string') {
      try {
        value = JSON.parse(json);
      } catch (error) {
        throw new FormatError('Vocabulary.fromJSON', `not JSON: ${(error as Error).message}`);
      }
    }
    const saved = value as Partial<VocabularyJSON> | null;
    if (typeof saved !== 'object' || saved === null || saved.format !== 'heed.vocabulary') throw new FormatError('Vocabulary.fromJSON', 'not a saved vocabulary (format is not "heed.vocabulary")');
    if (saved.version !== 1) throw new FormatError('Vocabulary.fromJSON', `unknown version ${JSON.stringify(saved.version)} (this heed reads version 1)`);
    if (!Array.isArray(saved.tokens) || typeof saved.specials !== 'object' || saved.specials === null) throw new FormatError('Vocabulary.fromJSON', 'tokens and specials are missing');
    const vocabulary = new Vocabulary(saved.tokens, { level: saved.level, specials: saved.specials });
    if (vocabulary.size !== saved.tokens.length || vocabulary.#tokens.some((token, id) => token !== saved.tokens?.[id])) {
      throw new FormatError('Vocabulary.fromJSON', 'the tokens do not start with the specials in order, or repeat a token');
    }
    return vocabulary;
  }

  /** Number of tokens, specials included (the size of an embedding table for it). */
  get size(): number {
    return this.#tokens.length;
  }

  /** Every token, index = id (torchtext's `get_itos()`). */
  get tokens(): readonly string[] {
    return this.#tokens;
  }

  /** The special tokens, in id order. */
  get specialTokens(): readonly string[] {
    return this.#tokens.slice(0, this.#specialCount);
  }

  /** Whether `token` is in the vocabulary (torchtext's `token in vocab`). */
  has(token: string): boolean {
    return this.#ids.has(token);
  }

  /** Whether `id` is one of the special tokens' ids. */
  isSpecial(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.#specialCount;
  }

  /** The id of `token` (torchtext's `stoi[token]`); an unknown token gives `unkId`, or throws without `<unk>`. */
  tokenToId(token: string): number {
    const id = this.#ids.get(token);
    if (id !== undefined) return id;
    if (this.unkId !== undefined) return this.unkId;
    throw new ValueError('Vocabulary.tokenToId', 'token', `${JSON.stringify(token)} is not in the vocabulary, which has no unknown token`);
  }

  /** The token of `id` (torchtext's `itos[id]`); throws for an id outside [0, size). */
  idToToken(id: number): string {
    const token = Number.isInteger(id) ? this.#tokens[id] : undefined;
    if (token === undefined) throw new ValueError('Vocabulary.idToToken', 'id', `must be an integer in [0, ${this.size}), got ${id}`);
    return token;
  }

  /** Cuts `text` into tokens at this vocabulary's level (see {@link tokenize}). */
  tokenize(text: string): string[] {
    return tokenize(text, this.level);
  }

  /** The ids of `text`'s tokens, optionally after `bos` and before `eos`. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids = this.tokenize(text).map((token) => this.tokenToId(token));
    if (options.addBos) ids.unshift(this.#required('bosId', 'encode'));
    if (options.addEos) ids.push(this.#required('eosId', 'encode'));
    return ids;
  }

  /** {@link Vocabulary.encode} as an int32 tensor of shape [T]. */
  encodeTensor(text: string, options: EncodeOptions = {}): Tensor {
    const ids = this.encode(text, options);
    return tensor(Int32Array.from(ids), { dtype: 'int32', shape: [ids.length] });
  }

  /**
   * Encodes several texts into one int32 [B, T] batch, padded on the right with the `pad` id,
   * with a bool [B, T] padding mask (true = padded, as PyTorch's `src_key_padding_mask`).
   * T is `padTo`, or else the longest sequence.
   */
  batch(texts: readonly string[], options: BatchOptions = {}): EncodedBatch {
    const padId = this.#required('padId', 'batch');
    const sequences = texts.map((text) => this.encode(text, options));
    const longest = sequences.reduce((most, ids) => Math.max(most, ids.length), 0);
    const length = options.padTo ?? longest;
    if (!Number.isInteger(length) || length < 0) throw new ValueError('Vocabulary.batch', 'padTo', `must be a non-negative integer, got ${options.padTo}`);
    if (longest > length && !options.truncate) {
      throw new ValueError('Vocabulary.batch', 'padTo', `a sequence has ${longest} tokens, more than padTo = ${length} (pass truncate: true to cut it)`);
    }
    const ids = new Int32Array(sequences.length * length).fill(padId);
    const padded = new Uint8Array(sequences.length * length).fill(1);
    const lengths = sequences.map((sequence, row) => {
      const kept = Math.min(sequence.length, length);
      for (let t = 0; t < kept; t++) {
        ids[row * length + t] = sequence[t];
        padded[row * length + t] = 0;
      }
      return kept;
    });
    const shape = [sequences.length, length];
    return { ids: tensor(ids, { dtype: 'int32', shape }), paddingMask: tensor(padded, { dtype: 'bool', shape }), lengths };
  }

  /**
   * The text of `ids` (numbers, or an int32 tensor of shape [T]): characters joined directly,
   * words joined with single spaces. Throws for an id outside [0, size).
   */
  decode(ids: ArrayLike<number> | Tensor, options: DecodeOptions = {}): string {
    let values: ArrayLike<number> = ids as ArrayLike<number>;
    if (ids instanceof Tensor) {
      if (ids.rank !== 1) throw new ValueError('Vocabulary.decode', 'ids', `expected a tensor of shape [T], got rank ${ids.rank} (decode rows one at a time)`);
      values = ids.dataSync();
    }
    const tokens: string[] = [];
    for (let index = 0; index < values.length; index++) {
      const id = values[index];
      if (options.stopAtEos && id === this.eosId) break;
      const token = this.idToToken(id);
      if (options.skipSpecials && this.isSpecial(id)) continue;
      tokens.push(token);
    }
    return tokens.join(this.level === 'word' ? ' ' : '');
  }

  /** The vocabulary as plain JSON ({@link VocabularyJSON}), for `JSON.stringify` and {@link Vocabulary.fromJSON}. */
  toJSON(): VocabularyJSON {
    return { format: 'heed.vocabulary', version: 1, level: this.level, tokens: [...this.#tokens], specials: { ...this.#specials, extra: [...this.#specials.extra] } };
  }

  #required(name: 'padId' | 'bosId' | 'eosId', op: string): number {
    const id = this[name];
    if (id === undefined) throw new ValueError(`Vocabulary.${op}`, 'options', `needs a ${name.slice(0, 3)} token, and this vocabulary has none`);
    return id;
  }
}
