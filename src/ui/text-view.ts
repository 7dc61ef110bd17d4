/**
 * How a text run reads on the page: a window of character ids as a snippet
 * with its whitespace made visible, and test loss as bits per character
 * beside the unigram baseline. Pure (no DOM), so Node tests cover it.
 */
import { charLabel, OTHER_CHAR } from '../data/text';

/** Whitespace as marks that keep one column each, so a snippet keeps the window's layout. */
const MARKS: Readonly<Record<string, string>> = {
  ' ': '·',
  '\n': '↵',
  '\r': '␍',
  '\t': '→',
  [OTHER_CHAR]: '�',
};

/**
 * One character as a snippet shows it: a mark for space, line breaks and tab,
 * U+XXXX in angle brackets for other control and invisible characters, the
 * rest as themselves.
 */
export function visibleChar(char: string): string {
  const mark = MARKS[char];
  if (mark !== undefined) return mark;
  const label = charLabel(char);
  return label === char ? char : `⟨${label}⟩`;
}

/**
 * The characters `ids` stand for in `vocabulary` (DatasetInfo.text.vocabulary,
 * ids in order), each made visible. An id outside the vocabulary shows as
 * `⟨id N⟩` rather than failing: this is display, not decoding.
 */
export function snippetText(ids: ArrayLike<number>, vocabulary: readonly string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] ?? 0;
    const char = vocabulary[id];
    parts.push(char === undefined ? `⟨id ${id}⟩` : visibleChar(char));
  }
  return parts.join('');
}

/** The characters `ids` stand for, raw (for an accessible name, where marks would be read out). */
export function rawText(ids: ArrayLike<number>, vocabulary: readonly string[]): string {
  let text = '';
  for (let i = 0; i < ids.length; i++) text += vocabulary[ids[i] ?? 0] ?? OTHER_CHAR;
  return text;
}

/** A mean test loss in nats per character as bits per character. */
export function bitsPerChar(testLoss: number): number {
  return testLoss / Math.LN2;
}

/** `2.95` (bits per character, the readout's label says so), or `–` without a finite loss (a resumed run's older events may have none). */
export function bitsText(testLoss: number | null | undefined): string {
  return typeof testLoss === 'number' && Number.isFinite(testLoss) ? bitsPerChar(testLoss).toFixed(2) : '–';
}

/** `unigram 4.41 bits/char`: what guessing by character frequency alone scores; empty when unknown. */
export function unigramText(unigramBitsPerChar: number | null): string {
  return unigramBitsPerChar !== null && Number.isFinite(unigramBitsPerChar) ? `unigram ${unigramBitsPerChar.toFixed(2)} bits/char` : '';
}
