import { describe, expect, it } from 'vitest';
import { FormatError, ValueError, Vocabulary, tokenize } from '../index.js';

describe('tokenize', () => {
  it('cuts characters by code point, so astral characters stay whole', () => {
    expect(tokenize('a😀b', 'char')).toEqual(['a', '😀', 'b']);
    expect(tokenize('a b\n', 'char')).toEqual(['a', ' ', 'b', '\n']);
  });

  it('cuts words on whitespace and punctuation, keeping apostrophes inside words', () => {
    expect(tokenize("Don't panic,  Arthur!\nIt's 42.", 'word')).toEqual(["Don't", 'panic', ',', 'Arthur', '!', "It's", '42', '.']);
    expect(tokenize('naïve café—déjà vu', 'word')).toEqual(['naïve', 'café', '—', 'déjà', 'vu']);
    expect(tokenize('   ', 'word')).toEqual([]);
  });
});

describe('Vocabulary', () => {
  it('puts the specials first, pad = 0, then tokens by frequency with ties in code-point order', () => {
    const vocabulary = Vocabulary.fromText('abracadabra');
    // counts: a 5, b 2, r 2, c 1, d 1
    expect(vocabulary.tokens).toEqual(['<pad>', '<unk>', '<bos>', '<eos>', 'a', 'b', 'r', 'c', 'd']);
    expect([vocabulary.padId, vocabulary.unkId, vocabulary.bosId, vocabulary.eosId]).toEqual([0, 1, 2, 3]);
    expect(vocabulary.size).toBe(9);
    expect(vocabulary.specialTokens).toEqual(['<pad>', '<unk>', '<bos>', '<eos>']);
  });

  it('applies minFrequency and maxSize (specials count towards maxSize)', () => {
    expect(Vocabulary.fromText('abracadabra', { minFrequency: 2 }).tokens.slice(4)).toEqual(['a', 'b', 'r']);
    expect(Vocabulary.fromText('abracadabra', { maxSize: 6 }).tokens.slice(4)).toEqual(['a', 'b']);
    expect(Vocabulary.fromText(['ab', 'ba', 'c'], {}).tokens.slice(4)).toEqual(['a', 'b', 'c']);
    expect(() => Vocabulary.fromText('abc', { maxSize: 3 })).toThrow(ValueError);
    expect(() => Vocabulary.fromText('abc', { minFrequency: 0 })).toThrow(ValueError);
  });

  it('encodes and decodes characters, with bos/eos, and maps unknown characters to <unk>', () => {
    const vocabulary = Vocabulary.fromText('hello world');
    const ids = vocabulary.encode('hello', { addBos: true, addEos: true });
    expect(ids[0]).toBe(vocabulary.bosId);
    expect(ids.at(-1)).toBe(vocabulary.eosId);
    expect(ids.slice(1, -1).map((id) => vocabulary.idToToken(id))).toEqual(['h', 'e', 'l', 'l', 'o']);
    expect(vocabulary.decode(ids)).toBe('<bos>hello<eos>');
    expect(vocabulary.decode(ids, { skipSpecials: true })).toBe('hello');
    expect(vocabulary.encode('hex')).toEqual([vocabulary.tokenToId('h'), vocabulary.tokenToId('e'), vocabulary.unkId]);
    expect(vocabulary.tokenToId('z')).toBe(vocabulary.unkId);
    expect(vocabulary.has('z')).toBe(false);
    expect(vocabulary.decode([...vocabulary.encode('low'), vocabulary.eosId ?? -1, ...vocabulary.encode('he')], { stopAtEos: true })).toBe('low');
  });

  it('encodes words with the simple tokenizer and decodes them joined by spaces', () => {
    const vocabulary = Vocabulary.fromText('the cat sat on the mat. the end!', { level: 'word' });
    expect(vocabulary.tokens.slice(4, 5)).toEqual(['the']);
    const ids = vocabulary.encode('the cat sat on the dog.');
    expect(ids.length).toBe(7);
    expect(ids[5]).toBe(vocabulary.unkId);
    expect(vocabulary.decode(ids)).toBe('the cat sat on the <unk> .');
    expect(vocabulary.decode(ids, { skipSpecials: true })).toBe('the cat sat on the .');
  });

  it('throws on unknown tokens when there is no <unk>, and on bad ids', () => {
    const vocabulary = Vocabulary.fromTokens(['a', 'b'], { specials: { unk: null } });
    expect(vocabulary.tokens).toEqual(['<pad>', '<bos>', '<eos>', 'a', 'b']);
    expect(vocabulary.unkId).toBeUndefined();
    expect(() => vocabulary.encode('abc')).toThrow(/"c" is not in the vocabulary/);
    expect(() => vocabulary.decode([0, 5])).toThrow(ValueError);
    expect(() => vocabulary.idToToken(1.5)).toThrow(ValueError);
    expect(() => vocabulary.idToToken(-1)).toThrow(ValueError);
  });

  it('takes custom specials in the order pad, unk, bos, eos, extra, and rejects clashes', () => {
    const vocabulary = Vocabulary.fromTokens(['x', '<s>', 'y', 'x'], { specials: { bos: '<s>', eos: '</s>', unk: null, extra: ['<mask>'] } });
    expect(vocabulary.tokens).toEqual(['<pad>', '<s>', '</s>', '<mask>', 'x', 'y']);
    expect([vocabulary.padId, vocabulary.bosId, vocabulary.eosId]).toEqual([0, 1, 2]);
    expect(vocabulary.isSpecial(3)).toBe(true);
    expect(vocabulary.isSpecial(4)).toBe(false);
    expect(() => new Vocabulary([], { specials: { bos: '<pad>' } })).toThrow(ValueError);
    expect(() => new Vocabulary([], { specials: { pad: '' } })).toThrow(ValueError);
    expect(() => new Vocabulary([''])).toThrow(ValueError);
    expect(() => new Vocabulary([], { level: 'byte' as 'char' })).toThrow(ValueError);
    expect(() => Vocabulary.fromTokens(['a'], { specials: { bos: null } }).encode('a', { addBos: true })).toThrow(/bos/);
  });

  it('batches into int32 [B, T] ids with a bool padding mask (true = padded)', () => {
    const vocabulary = Vocabulary.fromText('abc');
    const { ids, paddingMask, lengths } = vocabulary.batch(['ab', 'c', ''], { addEos: true });
    expect(ids.dtype).toBe('int32');
    expect(ids.shape).toEqual([3, 3]);
    const [a, b, c, eos] = [...'abc', '<eos>'].map((token) => vocabulary.tokenToId(token));
    expect(ids.toArray()).toEqual([[a, b, eos], [c, eos, 0], [eos, 0, 0]]);
    expect(paddingMask.dtype).toBe('bool');
    expect(paddingMask.toArray()).toEqual([[false, false, false], [false, false, true], [false, true, true]]);
    expect(lengths).toEqual([3, 2, 1]);
    expect(vocabulary.batch(['a'], { padTo: 4 }).ids.shape).toEqual([1, 4]);
    expect(() => vocabulary.batch(['abc'], { padTo: 2 })).toThrow(/truncate/);
    expect(vocabulary.batch(['abc'], { padTo: 2, truncate: true }).ids.toArray()).toEqual([[a, b]]);
    expect(() => Vocabulary.fromText('a', { specials: { pad: null } }).batch(['a'])).toThrow(/pad/);
  });

  it('encodes to an int32 [T] tensor and decodes a tensor back', () => {
    const vocabulary = Vocabulary.fromText('hello');
    const ids = vocabulary.encodeTensor('hell', { addBos: true });
    expect(ids.dtype).toBe('int32');
    expect(ids.shape).toEqual([5]);
    expect(vocabulary.decode(ids, { skipSpecials: true })).toBe('hell');
    expect(() => vocabulary.decode(vocabulary.batch(['he']).ids)).toThrow(/rank 2/);
  });

  it('round-trips through JSON, and rejects files that are not vocabularies', () => {
    const vocabulary = Vocabulary.fromText('to be, or not to be', { level: 'word', specials: { extra: ['<sep>'] } });
    const again = Vocabulary.fromJSON(JSON.stringify(vocabulary));
    expect(again.tokens).toEqual(vocabulary.tokens);
    expect(again.level).toBe('word');
    expect([again.padId, again.unkId, again.bosId, again.eosId]).toEqual([0, 1, 2, 3]);
    expect(again.encode('or be')).toEqual(vocabulary.encode('or be'));
    expect(Vocabulary.fromJSON(vocabulary.toJSON()).specialTokens).toEqual(['<pad>', '<unk>', '<bos>', '<eos>', '<sep>']);
    expect(() => Vocabulary.fromJSON('{')).toThrow(FormatError);
    expect(() => Vocabulary.fromJSON('{"format":"other"}')).toThrow(FormatError);
    const json = vocabulary.toJSON();
    expect(() => Vocabulary.fromJSON({ ...json, version: 2 as 1 })).toThrow(/version/);
    expect(() => Vocabulary.fromJSON({ ...json, tokens: ['a', ...json.tokens] })).toThrow(FormatError);
    expect(() => Vocabulary.fromJSON({ ...json, tokens: [...json.tokens, 'to'] })).toThrow(FormatError);
  });
});
