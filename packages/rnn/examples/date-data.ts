// The date-normalisation task: dates written in many human formats → ISO 8601 (YYYY-MM-DD).
// Seeded and deterministic. Dates run from 1950-01-01 to 2049-12-31, so a two-digit year names
// one century (50–99 → 19xx, 00–49 → 20xx); slashes are month-first (US) and dots day-first
// (European), so every string has exactly one reading.
import { Vocabulary, type Generator } from './example-imports.js';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const FIRST_DAY = Date.UTC(1950, 0, 1) / 86_400_000;
const LAST_DAY = Date.UTC(2049, 11, 31) / 86_400_000;

/** A calendar date. */
export interface CalendarDate {
  year: number;
  month: number;
  day: number;
  weekday: number;
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
const ordinal = (day: number): string => {
  const suffix = day % 10 === 1 && day !== 11 ? 'st' : day % 10 === 2 && day !== 12 ? 'nd' : day % 10 === 3 && day !== 13 ? 'rd' : 'th';
  return `${day}${suffix}`;
};

/** The formats, each a function of a date. */
export const FORMATS: readonly ((d: CalendarDate) => string)[] = [
  (d) => `${MONTHS[d.month - 1]} ${d.day}, ${d.year}`,
  (d) => `${MONTHS[d.month - 1].slice(0, 3)} ${d.day}, ${d.year}`,
  (d) => `${d.day} ${MONTHS[d.month - 1]} ${d.year}`,
  (d) => `${d.day} ${MONTHS[d.month - 1].slice(0, 3)} ${d.year}`,
  (d) => `${WEEKDAYS[d.weekday]}, ${MONTHS[d.month - 1]} ${d.day}, ${d.year}`,
  (d) => `${WEEKDAYS[d.weekday].slice(0, 3)}, ${d.day} ${MONTHS[d.month - 1].slice(0, 3)} ${d.year}`,
  (d) => `${d.month}/${d.day}/${d.year}`,
  (d) => `${pad(d.month)}/${pad(d.day)}/${pad(d.year % 100)}`,
  (d) => `${pad(d.day)}.${pad(d.month)}.${d.year}`,
  (d) => `${d.day}.${d.month}.${pad(d.year % 100)}`,
  (d) => `${ordinal(d.day)} of ${MONTHS[d.month - 1]}, ${d.year}`,
  (d) => `${MONTHS[d.month - 1]} ${ordinal(d.day)} ${d.year}`,
  (d) => `${d.day}-${MONTHS[d.month - 1].slice(0, 3)}-${pad(d.year % 100)}`,
  (d) => `${d.year}${pad(d.month)}${pad(d.day)}`,
  (d) => `${d.year}/${pad(d.month)}/${pad(d.day)}`,
  (d) => `${MONTHS[d.month - 1].toLowerCase()} ${d.day} ${d.year}`,
  (d) => `${MONTHS[d.month - 1].toUpperCase()} ${d.day}, ${d.year}`,
  (d) => `${d.day} ${MONTHS[d.month - 1].toLowerCase().slice(0, 3)} '${pad(d.year % 100)}`,
];

/** The date `dayNumber` days after 1970-01-01. */
export function dateOf(dayNumber: number): CalendarDate {
  const date = new Date(dayNumber * 86_400_000);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), weekday: date.getUTCDay() };
}

/** `YYYY-MM-DD`. */
export function isoOf(date: CalendarDate): string {
  return `${date.year}-${pad(date.month)}-${pad(date.day)}`;
}

/**
 * Whether a date belongs to the held-out set: about one date in ten, chosen by a hash of the
 * day number, so the test set holds dates never seen in training in any format.
 */
export function isHeldOut(dayNumber: number): boolean {
  return Math.imul(dayNumber ^ 0x5bd1e995, 0x27d4eb2d) >>> 28 < 2; // 2 of 16 ≈ 12%
}

/** One example: a human-written date and its ISO form. */
export interface DateExample {
  source: string;
  target: string;
}

/** `count` examples from the training (or held-out) dates, in uniformly chosen formats. */
export function dateExamples(count: number, generator: Generator, split: 'train' | 'test'): DateExample[] {
  const examples: DateExample[] = [];
  while (examples.length < count) {
    const dayNumber = FIRST_DAY + generator.nextInt(0, LAST_DAY - FIRST_DAY + 1);
    if (isHeldOut(dayNumber) !== (split === 'test')) continue;
    const date = dateOf(dayNumber);
    examples.push({ source: FORMATS[generator.nextInt(0, FORMATS.length)](date), target: isoOf(date) });
  }
  return examples;
}

/**
 * A character vocabulary for the task: `<pad>` = 0, `<s>` = 1 (start), `</s>` = 2 (end), then
 * `characters` in order. No `<unk>`: every character a format can write is listed, so encoding
 * anything else is a bug and throws.
 */
export function characterVocabulary(characters: string): Vocabulary {
  return Vocabulary.fromTokens([...characters], { level: 'char', specials: { pad: '<pad>', bos: '<s>', eos: '</s>', unk: null } });
}

/** Every character any format can write. */
export const SOURCE_CHARACTERS = `0123456789 ,./-'${[...MONTHS, ...WEEKDAYS].join('')}${[...MONTHS].join('').toLowerCase()}${MONTHS.join('').toUpperCase()}stndrhof`;
/** Every character of an ISO date. */
export const TARGET_CHARACTERS = '0123456789-';
