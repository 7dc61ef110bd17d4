import { describe, expect, it } from 'vitest';
import { OTHER_CHAR } from '../data/text';
import { bitsPerChar, bitsText, rawText, snippetText, unigramText, visibleChar } from './text-view';

/** A vocabulary as buildVocabulary makes one: characters by code point, the other id last. */
const VOCABULARY = ['\t', '\n', ' ', '.', 'C', 'I', 'a', 'e', 'l', 'm', '\u00a0', OTHER_CHAR];
const ids = (text: string) => Array.from(text, (c) => VOCABULARY.indexOf(c));

describe('snippetText', () => {
  it('shows the window’s characters with whitespace marked, one column each', () => {
    expect(snippetText(ids('Call me I.\n\tme'), VOCABULARY)).toBe('Call·me·I.↵→me');
    expect(snippetText(Uint8Array.from(ids('a a')), VOCABULARY)).toBe('a·a');
  });

  it('names invisible characters and marks the other id', () => {
    expect(snippetText(ids('a\u00a0' + OTHER_CHAR), VOCABULARY)).toBe('a⟨U+00A0⟩�');
  });

  it('shows an id outside the vocabulary instead of failing', () => {
    expect(snippetText([4, 99], VOCABULARY)).toBe('C⟨id 99⟩');
  });

  it('keeps the raw characters for an accessible name', () => {
    expect(rawText(ids('me.\n'), VOCABULARY)).toBe('me.\n');
  });
});

describe('visibleChar', () => {
  it('leaves printable characters alone, letters of any script included', () => {
    for (const c of ['a', 'Z', '.', 'é', 'λ', '😀']) expect(visibleChar(c)).toBe(c);
    expect(visibleChar('\r')).toBe('␍');
    expect(visibleChar('\u200b')).toBe('⟨U+200B⟩');
  });
});

describe('bits per character', () => {
  it('turns nats into bits', () => {
    expect(bitsPerChar(Math.LN2)).toBeCloseTo(1, 12);
    expect(bitsPerChar(Math.log(65))).toBeCloseTo(Math.log2(65), 12);
    expect(bitsText(3 * Math.LN2)).toBe('3.00');
  });

  it('shows a missing or non-finite loss as a dash, and the unigram baseline only when known', () => {
    expect(bitsText(null)).toBe('–');
    expect(bitsText(undefined)).toBe('–');
    expect(bitsText(Number.NaN)).toBe('–');
    expect(unigramText(4.4123)).toBe('unigram 4.41 bits/char');
    expect(unigramText(null)).toBe('');
  });
});
