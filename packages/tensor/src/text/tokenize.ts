/** How a {@link Vocabulary} cuts text into tokens: one Unicode code point, or one word. */
export type TokenLevel = 'char' | 'word';

// A word: letters, marks, digits and underscores, with apostrophes allowed inside ("don't",
// "l’homme"). Every other non-space character is a token of its own.
const WORD_PATTERN = /[\p{L}\p{M}\p{N}_]+(?:['’][\p{L}\p{M}\p{N}_]+)*|[^\s\p{L}\p{M}\p{N}_]/gu;

/**
 * Cuts `text` into tokens.
 *
 * - `'char'`: one token per Unicode code point (`[...text]`, so an emoji or a CJK character is
 *   one token, not two UTF-16 halves). Spaces and newlines are tokens too.
 * - `'word'`: a simple rule, not a trained tokenizer: split on whitespace, and make each
 *   punctuation mark or symbol a token of its own. A word is a run of letters, digits and `_`,
 *   with `'`/`’` allowed inside it. Case is kept. Whitespace is dropped, so
 *   {@link Vocabulary.decode} joins words with single spaces.
 *
 * @example
 * ```ts
 * tokenize("Don't panic, Arthur!", 'word'); // ["Don't", 'panic', ',', 'Arthur', '!']
 * tokenize('héé', 'char');                   // ['h', 'é', 'é']
 * ```
 */
export function tokenize(text: string, level: TokenLevel): string[] {
  if (level === 'char') return [...text];
  return text.match(WORD_PATTERN) ?? [];
}
