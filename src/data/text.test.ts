import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatasetFileError } from './dataset-file';
import { loadDataset } from './sources';
import {
  buildTextDataset,
  buildVocabulary,
  charLabel,
  cutWindows,
  decodeIds,
  decodeUtf8Text,
  DEFAULT_CONTEXT_LENGTH,
  encodeText,
  invalidUtf8Offset,
  MAX_VOCABULARY,
  minTextChars,
  MIN_WINDOWS,
  OTHER_CHAR,
  testCharCount,
  toCodePoints,
  unigramBitsPerChar,
  windowCount,
  windowStride,
  type TextDataset,
} from './text';

const utf8 = (text: string) => new TextEncoder().encode(text);
const build = (text: string, contextLength = 8) =>
  buildTextDataset(utf8(text), { file: 'book.txt', name: 'text:book.txt', contextLength });

/** A deterministic English-like text of exactly `chars` characters. */
function prose(chars: number): string {
  const words = ['the', 'whale', 'sea', 'Ahab', 'ship', 'and', 'of', 'a', 'white', 'harpoon.'];
  let out = '';
  for (let i = 0; out.length < chars; i++) out += `${words[(i * 7 + (i >> 3)) % words.length]}${i % 13 === 12 ? '\n' : ' '}`;
  return out.slice(0, chars);
}

/** The code points of a split's windows, decoded back, one string per window. */
function windowsAsText(set: TextDataset, split: 'train' | 'test'): string[] {
  const d = set[split];
  return Array.from({ length: d.count }, (_, w) =>
    decodeIds({ chars: set.textInfo.vocabulary, otherId: set.textInfo.otherId, ids: new Map() }, d.images.subarray(w * d.width, (w + 1) * d.width)),
  );
}

describe('window geometry', () => {
  it('strides by half the context, at least 1, and counts whole windows only', () => {
    expect([1, 2, 3, 4, 63, 64, 65].map(windowStride)).toEqual([1, 1, 1, 2, 31, 32, 32]);
    for (const contextLength of [1, 2, 5, 8, 64]) {
      for (let chars = 0; chars < 200; chars++) {
        let brute = 0;
        for (let start = 0; start + contextLength + 1 <= chars; start += windowStride(contextLength)) brute++;
        expect(windowCount(chars, contextLength), `${chars} chars, context ${contextLength}`).toBe(brute);
      }
    }
  });

  it('holds out the last 10%, rounded down, exactly', () => {
    expect([0, 9, 10, 19, 70, 1_208_589].map(testCharCount)).toEqual([0, 0, 1, 1, 7, 120_858]);
  });

  it('needs minTextChars characters for MIN_WINDOWS windows in each split, and no fewer', () => {
    for (const contextLength of [1, 2, 7, 8, 64]) {
      const min = minTextChars(contextLength);
      const atMin = min - testCharCount(min);
      expect(windowCount(testCharCount(min), contextLength)).toBeGreaterThanOrEqual(MIN_WINDOWS);
      expect(windowCount(atMin, contextLength)).toBeGreaterThanOrEqual(MIN_WINDOWS);
      expect(windowCount(testCharCount(min - 1), contextLength)).toBeLessThan(MIN_WINDOWS);
    }
    expect(minTextChars(DEFAULT_CONTEXT_LENGTH)).toBe(10 * (65 + 9 * 32));
  });
});

describe('UTF-8 and code points', () => {
  it('counts a character beyond the BMP as one', () => {
    expect(Array.from(toCodePoints('a😀b𝔸'))).toEqual([0x61, 0x1f600, 0x62, 0x1d538]);
    const set = build(`${prose(400)}😀${prose(400)}`, 4);
    expect(set.textInfo.chars).toBe(801);
    expect(set.textInfo.vocabulary).toContain('😀');
  });

  it('finds the same invalid bytes as a fatal TextDecoder', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true });
    const valid = (bytes: Uint8Array) => {
      try {
        fatal.decode(bytes);
        return true;
      } catch {
        return false;
      }
    };
    const edges = [[0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x9f, 0x80], [0xed, 0xa0, 0x80], [0xf0, 0x8f, 0x80, 0x80],
      [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80], [0xe2, 0x82], [0x80], [0xef, 0xbb, 0xbf], [0xf4, 0x8f, 0xbf, 0xbf]];
    for (const edge of edges) expect(invalidUtf8Offset(Uint8Array.from(edge)) < 0, edge.join(' ')).toBe(valid(Uint8Array.from(edge)));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (bytes) => (invalidUtf8Offset(bytes) < 0) === valid(bytes)),
      { numRuns: 2000 },
    );
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => invalidUtf8Offset(utf8(s)) === -1));
  });

  it('names the file and what is wrong for empty, NUL, non-UTF-8 and BOM-only input', () => {
    expect(() => decodeUtf8Text('a.txt', new Uint8Array(0))).toThrow('Text file a.txt is empty (0 bytes); allowed: a UTF-8 text file.');
    expect(() => decodeUtf8Text('a.txt', Uint8Array.of(0xef, 0xbb, 0xbf))).toThrow(
      'Text file a.txt holds only a byte-order mark and no text; allowed: a UTF-8 text file.',
    );
    expect(() => decodeUtf8Text('b.bin', Uint8Array.of(0x41, 0x42, 0, 0x43))).toThrow(
      'Text file b.bin: byte 2 of 4 is NUL (0x00), so this looks like a binary file; allowed: a UTF-8 text file without NUL characters.',
    );
    expect(() => decodeUtf8Text('latin1.txt', Uint8Array.of(0x63, 0x61, 0x66, 0xe9, 0x21))).toThrow(
      'Text file latin1.txt: byte 3 of 5 (0xe9) is not valid UTF-8, so this is a binary file or text in another encoding ' +
        '(re-save it as UTF-8); allowed: a UTF-8 text file.',
    );
    expect(() => decodeUtf8Text('x', Uint8Array.of(0x61, 0xe2, 0x28, 0xa1))).toThrow(/byte 1 of 4 \(0xe2\) is not valid UTF-8/);
    expect(() => decodeUtf8Text('x', Uint8Array.of(0x61, 0xe2, 0x82))).toThrow(/byte 1 of 3 \(0xe2\) is not valid UTF-8/);
    expect(decodeUtf8Text('bom.txt', Uint8Array.of(0xef, 0xbb, 0xbf, 0x68, 0x69, 0x0d, 0x0a))).toBe('hi\r\n');
    expect(() => decodeUtf8Text('x', new Uint8Array(0))).toThrow(DatasetFileError);
    expect(() => decodeUtf8Text(`/${'d'.repeat(200)}.txt`, new Uint8Array(0))).toThrow(/^Text file "?\/d+… \(205 characters\) is empty/);
  });
});

describe('vocabulary', () => {
  it('round-trips training text, ids in code point order', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1 }), (s) => {
        const points = toCodePoints(s);
        const vocabulary = buildVocabulary(points, new Uint32Array(0));
        fc.pre(vocabulary.otherId === null);
        expect(decodeIds(vocabulary, encodeText(vocabulary, points).ids)).toBe(s);
        const order = vocabulary.chars.map((c) => c.codePointAt(0) ?? 0);
        expect(order).toEqual([...order].sort((a, b) => a - b));
      }),
    );
    const v = buildVocabulary(toCodePoints('baa😀 ca'), new Uint32Array(0));
    expect(v.chars).toEqual([' ', 'a', 'b', 'c', '😀']);
    expect(v.otherId).toBeNull();
  });

  it('keeps the 254 most frequent of more than 255 characters (ties to the lower code point) and maps the rest', () => {
    // 300 characters U+0100.. : U+0100+k appears 1 + floor(k / 10) times, so frequency rises with k in steps of ten.
    const points: number[] = [];
    for (let k = 0; k < 300; k++) for (let r = 0; r <= Math.floor(k / 10); r++) points.push(0x100 + k);
    const train = Uint32Array.from(points);
    const v = buildVocabulary(train, new Uint32Array(0));
    expect(v.chars.length).toBe(MAX_VOCABULARY);
    expect(v.otherId).toBe(254);
    expect(v.chars[254]).toBe(OTHER_CHAR);
    // Dropped: the 46 rarest. k = 0..39 are rarer than the rest; k = 40..49 tie (5 each): the lower 40..43 stay, 44..49 go.
    const kept = v.chars.slice(0, 254).map((c) => (c.codePointAt(0) ?? 0) - 0x100);
    expect(kept).toEqual([40, 41, 42, 43, ...Array.from({ length: 250 }, (_, i) => 50 + i)]);
    const { ids, mapped } = encodeText(v, train);
    let rare = 0;
    for (const k of [...Array.from({ length: 40 }, (_, i) => i), 44, 45, 46, 47, 48, 49]) rare += 1 + Math.floor(k / 10);
    expect(mapped).toBe(rare);
    expect(ids.filter((id) => id === 254).length).toBe(rare);
    expect(decodeIds(v, ids.subarray(0, 1))).toBe(OTHER_CHAR);
  });

  it('maps test characters unseen in training to the other id, making room when training fills all 255', () => {
    const v = buildVocabulary(toCodePoints('abcab'), toCodePoints('abz'));
    expect(v.chars).toEqual(['a', 'b', 'c', OTHER_CHAR]);
    expect(encodeText(v, toCodePoints('abzy')).mapped).toBe(2);
    // 255 characters U+0100..U+01FE, each twice except U+0101 once: U+0101 is the rarest.
    const full = Uint32Array.from({ length: 255 * 2 - 1 }, (_, i) => 0x100 + (i < 255 ? i : i === 255 ? 0 : i - 254));
    const w = buildVocabulary(full, Uint32Array.of(0x61));
    expect(w.chars.length).toBe(255);
    expect(w.chars).not.toContain(String.fromCodePoint(0x101));
    expect(buildVocabulary(full, Uint32Array.of(0x100)).otherId).toBeNull();
  });

  it('sends U+FFFD in the text to the other id without counting it as mapped', () => {
    const v = buildVocabulary(toCodePoints('ab\uFFFDab'), new Uint32Array(0));
    expect(v.chars).toEqual(['a', 'b', OTHER_CHAR]);
    const s = 'ab\uFFFDab';
    const { ids, mapped } = encodeText(v, toCodePoints(s));
    expect(mapped).toBe(0);
    expect(decodeIds(v, ids)).toBe(s);
  });

  it('refuses a character it has no id for, and an id it does not have', () => {
    const v = buildVocabulary(toCodePoints('ab'), new Uint32Array(0));
    expect(() => encodeText(v, toCodePoints('abé'))).toThrow(
      'Character U+00E9 at 2 is not in the vocabulary of 2 characters, which has no other id.',
    );
    expect(() => decodeIds(v, [0, 2])).toThrow('Id 2 at 1 is outside the vocabulary; allowed: 0 to 1.');
  });

  it('measures the unigram entropy in bits per character', () => {
    expect(unigramBitsPerChar(Uint8Array.of(0, 1, 2, 3, 3, 2, 1, 0))).toBeCloseTo(2, 12);
    expect(unigramBitsPerChar(Uint8Array.of(5, 5, 5))).toBe(0);
    expect(unigramBitsPerChar(Uint8Array.of(0, 0, 0, 1))).toBeCloseTo(-(0.75 * Math.log2(0.75) + 0.25 * Math.log2(0.25)), 12);
  });

  it('labels whitespace, control and the other id readably and leaves classNames raw', () => {
    expect([' ', '\n', '\t', '\r', OTHER_CHAR, '\u00a0', '\u0007', '\u200b', 'a', '—', '😀'].map(charLabel)).toEqual([
      'space', '\\n', '\\t', '\\r', 'other', 'U+00A0', 'U+0007', 'U+200B', 'a', '—', '😀',
    ]);
  });
});

describe('buildTextDataset', () => {
  it('splits 90/10 by characters and cuts windows that never cross the split', () => {
    const text = `${prose(1000)}é${prose(233)}`; // é only in training; 1234 characters
    const contextLength = 8;
    const set = build(text, contextLength);
    const { textInfo, train, test } = set;
    expect(textInfo).toMatchObject({ contextLength, stride: 4, chars: 1234, trainChars: 1111, testChars: 123, mapped: 0 });
    expect(textInfo.trainChars + textInfo.testChars).toBe(textInfo.chars);
    for (const d of [train, test]) {
      expect(d).toMatchObject({ height: 1, width: 9, channels: 1, classes: textInfo.vocabulary.length });
      expect(d.images.length).toBe(d.count * 9);
    }
    expect(train.name).toBe('text:book.txt-train');
    expect(train.count).toBe(windowCount(1111, contextLength));
    expect(test.count).toBe(windowCount(123, contextLength));
    const chars = Array.from(text);
    const trainText = chars.slice(0, 1111);
    const testText = chars.slice(1111);
    windowsAsText(set, 'train').forEach((w, i) => expect(w).toBe(trainText.slice(i * 4, i * 4 + 9).join('')));
    windowsAsText(set, 'test').forEach((w, i) => expect(w).toBe(testText.slice(i * 4, i * 4 + 9).join('')));
    // The last windows end inside their split, and one more would not fit.
    const lastTrainEnd = (train.count - 1) * 4 + 9;
    expect(lastTrainEnd).toBeLessThanOrEqual(1111);
    expect(lastTrainEnd + 4).toBeGreaterThan(1111);
    const lastTestEnd = (test.count - 1) * 4 + 9;
    expect(lastTestEnd).toBeLessThanOrEqual(123);
    expect(lastTestEnd + 4).toBeGreaterThan(123);
    // A label is its window's last id.
    for (let w = 0; w < train.count; w++) expect(train.labels[w]).toBe(train.images[w * 9 + 8]);
    expect(textInfo.vocabulary).toContain('é');
    expect(textInfo.otherId).toBeNull();
  });

  it('maps test characters that training never had and reports them', () => {
    const text = `${prose(900)}${'ß'.repeat(3)}${prose(97)}`; // the ß fall in the test part
    const set = build(text, 4);
    expect(set.textInfo.testChars).toBe(100);
    expect(set.textInfo.mapped).toBe(3);
    expect(set.textInfo.vocabulary.at(-1)).toBe(OTHER_CHAR);
    expect(set.textInfo.otherId).toBe(set.textInfo.vocabulary.length - 1);
    expect(windowsAsText(set, 'test').join('')).toContain(OTHER_CHAR);
  });

  it('computes the baseline entropy from the training split only', () => {
    const text = 'ab'.repeat(450) + 'c'.repeat(100);
    const set = build(text, 4);
    expect(set.textInfo.unigramBitsPerChar).toBeCloseTo(1, 12);
  });

  it('refuses a text too short for the context, naming the numbers', () => {
    const min = minTextChars(8);
    expect(min).toBe(10 * (9 + 9 * 4));
    expect(() => build(prose(min), 8)).not.toThrow();
    expect(() => build(prose(min - 1), 8)).toThrow(
      `Text file book.txt has ${min - 1} characters: ${windowCount(min - 1 - testCharCount(min - 1), 8)} training and 9 test windows of 9 ` +
        `characters (contextLength 8, a window every 4; the last 10% tests). Allowed: at least 10 in each, so at least ${min} characters at this contextLength.`,
    );
  });

  it('refuses one repeated character, a bad context length, and passes on file errors', () => {
    expect(() => build('x'.repeat(1000), 4)).toThrow(
      'Text file book.txt: its training part (the first 90%) is one character repeated (x), which leaves nothing to predict; ' +
        'allowed: a text with at least 2 distinct characters there.',
    );
    for (const bad of [0, -1, 2.5, Number.NaN, 4097]) {
      expect(() => build(prose(1000), bad)).toThrow(`contextLength is ${bad}; allowed: a whole number from 1 to 4096.`);
    }
    expect(() => buildTextDataset(new Uint8Array(0), { file: 'none.txt', name: 'x', contextLength: 8 })).toThrow(/none\.txt is empty/);
  });

  it('cuts windows of any ids directly', () => {
    const d = cutWindows(Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7), 4, 'w', 8);
    expect(d).toMatchObject({ name: 'w', count: 2, height: 1, width: 5, channels: 1, classes: 8 });
    expect([...d.images]).toEqual([0, 1, 2, 3, 4, 2, 3, 4, 5, 6]);
    expect([...d.labels]).toEqual([4, 6]);
    expect(cutWindows(Uint8Array.of(0, 1, 2, 3, 4, 5, 6), 3, 'w', 7).count).toBe(4);
  });
});

// Generated by `npm install` (scripts/prepare-data.mjs), not committed.
const dataDir = join(import.meta.dirname, '../../public/data/');
describe.skipIf(!existsSync(join(dataDir, 'moby-dick.txt')))('moby-dick', () => {
  it('loads the novel through loadDataset', async () => {
    const read = (url: string) => Promise.resolve(existsSync(url) ? new Uint8Array(readFileSync(url)) : null);
    const loaded = await loadDataset({ kind: 'moby-dick', location: null }, read, dataDir);
    const info = loaded.textInfo;
    if (!info) throw new Error('moby-dick loaded without textInfo');
    expect(loaded.id).toBe('moby-dick');
    expect(info.contextLength).toBe(DEFAULT_CONTEXT_LENGTH);
    expect(info.chars).toBeGreaterThan(1_150_000);
    expect(info.chars).toBeLessThan(1_250_000);
    expect(info.testChars).toBe(testCharCount(info.chars));
    expect(loaded.train.count).toBe(windowCount(info.trainChars, DEFAULT_CONTEXT_LENGTH));
    expect(loaded.test.count).toBe(windowCount(info.testChars, DEFAULT_CONTEXT_LENGTH));
    expect(loaded.train.width).toBe(DEFAULT_CONTEXT_LENGTH + 1);
    expect(loaded.classNames).toEqual(info.vocabulary);
    expect(info.vocabulary.length).toBeLessThanOrEqual(MAX_VOCABULARY);
    expect(info.vocabulary).toEqual(expect.arrayContaining(['\n', ' ', 'a', 'Z', '—']));
    // English prose: about 4.1-4.5 bits per character from letter frequencies alone.
    expect(info.unigramBitsPerChar).toBeGreaterThan(3.8);
    expect(info.unigramBitsPerChar).toBeLessThan(4.8);
    const short = await loadDataset({ kind: 'moby-dick', location: null }, read, dataDir, { contextLength: 16 });
    expect(short.textInfo?.contextLength).toBe(16);
    expect(short.train.count).toBeGreaterThan(loaded.train.count);
    console.log(
      `moby-dick: ${info.chars} characters (${info.trainChars} train, ${info.testChars} test), vocabulary ${info.vocabulary.length}, ` +
        `mapped ${info.mapped}, ${info.unigramBitsPerChar.toFixed(4)} bits/char; contextLength ${info.contextLength}: ` +
        `${loaded.train.count} train / ${loaded.test.count} test windows; contextLength 16: ${short.train.count} / ${short.test.count}`,
    );
  });
});
