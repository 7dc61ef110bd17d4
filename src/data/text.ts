/**
 * Character-level text as an image dataset, so the shared-memory layout, loss
 * table and shards work unchanged. Pure: the caller supplies the bytes.
 *
 * A sample is a window of contextLength + 1 character ids stored as a 1 x
 * (contextLength + 1) x 1 "image" of bytes: the model reads ids 0..L-1 and
 * predicts ids 1..L (the next character at every position). Its label is the
 * window's last id, kept only because every sample has one.
 *
 * A character is a Unicode code point, not a UTF-16 unit. The first 90% of
 * the characters train, the last 10% test; the vocabulary comes from the
 * training part alone, so the test part can hold characters it never saw.
 */
import { clip } from '../core/errors';
import { DatasetFileError, type ImageDataset } from './dataset-file';

/** The context length when a run names none (characters the model reads per window). */
export const DEFAULT_CONTEXT_LENGTH = 64;
/** A guard against a mistyped value, not a tuned limit: far beyond what a browser-trained model attends over. */
export const MAX_CONTEXT_LENGTH = 4096;
/** The last TEST_PERCENT of the characters are the test split. Integer, so the split point is exact. */
export const TEST_PERCENT = 10;
/** Each split needs at least this many windows; fewer gives no usable batch or test loss. */
export const MIN_WINDOWS = 10;
/** Ids are bytes, and the dataset file format allows at most 255 classes. */
export const MAX_VOCABULARY = 255;
/**
 * The id every character outside the vocabulary maps to: a training character
 * too rare for the 255 ids, a test character training never had, and U+FFFD
 * itself (which already means "something was lost"). Present only when needed.
 */
export const OTHER_CHAR = '\uFFFD';
const OTHER_CODE_POINT = 0xfffd;

/**
 * Windows start every contextLength / 2 characters (rounded down, at least 1):
 * each character is predicted about twice, with a short and a long context,
 * and the dataset stays about twice the text's size rather than
 * contextLength + 1 times (stride 1).
 */
export function windowStride(contextLength: number): number {
  return Math.max(1, Math.floor(contextLength / 2));
}

/** Windows of contextLength + 1 characters, at windowStride, in `chars` characters. */
export function windowCount(chars: number, contextLength: number): number {
  const span = contextLength + 1;
  return chars < span ? 0 : Math.floor((chars - span) / windowStride(contextLength)) + 1;
}

/** Characters held out for testing out of `chars`: the last TEST_PERCENT, rounded down. */
export function testCharCount(chars: number): number {
  return Math.floor((chars * TEST_PERCENT) / 100);
}

/**
 * The fewest characters a text needs for MIN_WINDOWS windows in each split:
 * the test split is the smaller, and MIN_WINDOWS windows span
 * contextLength + 1 + (MIN_WINDOWS - 1) * stride characters.
 */
export function minTextChars(contextLength: number): number {
  const span = contextLength + 1 + (MIN_WINDOWS - 1) * windowStride(contextLength);
  return Math.ceil((span * 100) / TEST_PERCENT);
}

/** Throws unless contextLength is a whole number from 1 to MAX_CONTEXT_LENGTH. */
export function checkContextLength(contextLength: number): void {
  if (!Number.isInteger(contextLength) || contextLength < 1 || contextLength > MAX_CONTEXT_LENGTH) {
    throw new Error(`contextLength is ${String(contextLength)}; allowed: a whole number from 1 to ${MAX_CONTEXT_LENGTH}.`);
  }
}

/**
 * Offset of the first byte that starts an invalid UTF-8 sequence (RFC 3629:
 * no overlongs, surrogates or code points past U+10FFFF), or -1. The start,
 * not the byte that broke it: a Latin-1 'é' (0xe9) is then reported itself.
 */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i] ?? 0;
    if (b < 0x80) {
      i++;
      continue;
    }
    let length: number;
    // The allowed range of the second byte narrows for the lead bytes that could encode an overlong, a surrogate or > U+10FFFF.
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) low = 0xa0;
      if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < low || c > high : c < 0x80 || c > 0xbf) return i;
    }
    i += length;
  }
  return -1;
}

const hex = (byte: number) => `0x${byte.toString(16).padStart(2, '0')}`;

/**
 * The text of a UTF-8 file; a leading byte-order mark is dropped, everything
 * else (line ends included) kept. Refuses an empty file and anything binary:
 * a NUL byte, or bytes that are not UTF-8.
 */
export function decodeUtf8Text(name: string, bytes: Uint8Array): string {
  const file = clip(name);
  const allowed = 'allowed: a UTF-8 text file';
  if (bytes.length === 0) throw new DatasetFileError(`Text file ${file} is empty (0 bytes); ${allowed}.`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new DatasetFileError(
      `Text file ${file}: byte ${nul} of ${bytes.length} is NUL (0x00), so this looks like a binary file; ${allowed} without NUL characters.`,
    );
  }
  const bad = invalidUtf8Offset(bytes);
  if (bad >= 0) {
    throw new DatasetFileError(
      `Text file ${file}: byte ${bad} of ${bytes.length} (${hex(bytes[bad] ?? 0)}) is not valid UTF-8, so this is a binary ` +
        `file or text in another encoding (re-save it as UTF-8); ${allowed}.`,
    );
  }
  const text = new TextDecoder('utf-8').decode(bytes);
  if (text.length === 0) throw new DatasetFileError(`Text file ${file} holds only a byte-order mark and no text; ${allowed}.`);
  return text;
}

/** The text's code points, one entry per character (a character beyond the BMP is one entry, not two). */
export function toCodePoints(text: string): Uint32Array {
  const out = new Uint32Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i) ?? 0;
    out[n++] = cp;
    if (cp > 0xffff) i++;
  }
  return out.slice(0, n);
}

/** Maps characters to byte ids and back. */
export interface Vocabulary {
  /** The characters in id order: the kept characters by code point, then OTHER_CHAR when `otherId` is set. */
  chars: readonly string[];
  /** The id characters outside the vocabulary map to; null when every character has its own. */
  otherId: number | null;
  /** Code point -> id, for the kept characters (and U+FFFD -> otherId). */
  ids: ReadonlyMap<number, number>;
}

/**
 * The vocabulary of the training characters. Ids follow code point order,
 * not frequency: then they do not depend on counts (no tie rule; a text edited
 * without new characters keeps its ids), and the page can show the alphabet
 * in reading order. Frequency decides only which characters keep their own id
 * when there are more than fit: the most frequent, ties to the lower code
 * point. An other id (OTHER_CHAR, last) exists when something maps to it:
 * training characters beyond the kept ones, test characters training never
 * had, or U+FFFD in the text.
 */
export function buildVocabulary(train: Uint32Array, test: Uint32Array): Vocabulary {
  const counts = new Map<number, number>();
  for (const cp of train) counts.set(cp, (counts.get(cp) ?? 0) + 1);
  const distinct = [...counts.keys()].filter((cp) => cp !== OTHER_CODE_POINT);
  const needOther =
    counts.has(OTHER_CODE_POINT) || distinct.length > MAX_VOCABULARY || test.some((cp) => !counts.has(cp));
  const room = needOther ? MAX_VOCABULARY - 1 : MAX_VOCABULARY;
  const kept =
    distinct.length <= room
      ? distinct
      : distinct.sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || a - b).slice(0, room);
  kept.sort((a, b) => a - b);
  const ids = new Map<number, number>(kept.map((cp, id) => [cp, id]));
  const chars = kept.map((cp) => String.fromCodePoint(cp));
  let otherId: number | null = null;
  if (needOther) {
    otherId = chars.length;
    chars.push(OTHER_CHAR);
    ids.set(OTHER_CODE_POINT, otherId);
  }
  return { chars, otherId, ids };
}

/**
 * Ids of `codePoints`; `mapped` counts the characters that went to the other
 * id without being U+FFFD already. Throws when a character is outside a
 * vocabulary that has no other id.
 */
export function encodeText(vocabulary: Vocabulary, codePoints: Uint32Array): { ids: Uint8Array; mapped: number } {
  const out = new Uint8Array(codePoints.length);
  let mapped = 0;
  codePoints.forEach((cp, i) => {
    let id = vocabulary.ids.get(cp);
    if (id === undefined) {
      if (vocabulary.otherId === null) {
        throw new Error(
          `Character ${codePointName(cp)} at ${i} is not in the vocabulary of ${vocabulary.chars.length} characters, which has no other id.`,
        );
      }
      id = vocabulary.otherId;
      mapped++;
    }
    out[i] = id;
  });
  return { ids: out, mapped };
}

/** The text `ids` stand for (a mapped character comes back as OTHER_CHAR). */
export function decodeIds(vocabulary: Vocabulary, ids: ArrayLike<number>): string {
  const parts: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] ?? 0;
    const char = vocabulary.chars[id];
    if (char === undefined) {
      throw new Error(`Id ${id} at ${i} is outside the vocabulary; allowed: 0 to ${vocabulary.chars.length - 1}.`);
    }
    parts.push(char);
  }
  return parts.join('');
}

/** Entropy of the ids' distribution, bits per character: what a model knowing only character frequencies scores. */
export function unigramBitsPerChar(ids: Uint8Array): number {
  if (ids.length === 0) return 0;
  const counts = new Float64Array(256);
  for (const id of ids) counts[id] = (counts[id] ?? 0) + 1;
  let bits = 0;
  for (const count of counts) {
    if (count > 0) {
      const p = count / ids.length;
      bits -= p * Math.log2(p);
    }
  }
  return bits;
}

/** `ids` cut into windows of contextLength + 1 at windowStride, as images of 1 x (contextLength + 1) x 1. */
export function cutWindows(ids: Uint8Array, contextLength: number, name: string, classes: number): ImageDataset {
  const span = contextLength + 1;
  const stride = windowStride(contextLength);
  const count = windowCount(ids.length, contextLength);
  const images = new Uint8Array(count * span);
  const labels = new Uint8Array(count);
  for (let w = 0; w < count; w++) {
    const start = w * stride;
    images.set(ids.subarray(start, start + span), w * span);
    labels[w] = ids[start + span - 1] ?? 0;
  }
  return { name, count, height: 1, width: span, channels: 1, classes, labels, images };
}

/** What the text became, for display, caching and the baseline loss. */
export interface TextInfo {
  /** Characters a model reads per window; the engine keys a loaded text dataset on (id, contextLength). */
  contextLength: number;
  /** Characters between window starts (windowStride). */
  stride: number;
  /** Characters (code points) in the whole text, and in each split. */
  chars: number;
  trainChars: number;
  testChars: number;
  /** The vocabulary's characters in id order (raw; see charLabel for display). */
  vocabulary: readonly string[];
  /** The other id (OTHER_CHAR), or null when every character has its own. */
  otherId: number | null;
  /** Characters of either split mapped to the other id (U+FFFD in the text not counted). */
  mapped: number;
  /** Entropy of the training split's id distribution: the loss, in bits per character, of guessing by frequency alone. */
  unigramBitsPerChar: number;
}

export interface TextDataset {
  train: ImageDataset;
  test: ImageDataset;
  textInfo: TextInfo;
}

/**
 * Decodes, splits, encodes and windows a UTF-8 text file. `file` names it in
 * errors; `name` prefixes the splits' names (`${name}-train`, `${name}-test`).
 */
export function buildTextDataset(
  bytes: Uint8Array,
  options: { file: string; name: string; contextLength: number },
): TextDataset {
  const { name, contextLength } = options;
  const file = clip(options.file);
  checkContextLength(contextLength);
  const codePoints = toCodePoints(decodeUtf8Text(options.file, bytes));
  const chars = codePoints.length;
  const testChars = testCharCount(chars);
  const trainChars = chars - testChars;
  const stride = windowStride(contextLength);
  const trainWindows = windowCount(trainChars, contextLength);
  const testWindows = windowCount(testChars, contextLength);
  if (trainWindows < MIN_WINDOWS || testWindows < MIN_WINDOWS) {
    throw new DatasetFileError(
      `Text file ${file} has ${chars} characters: ${trainWindows} training and ${testWindows} test windows of ` +
        `${contextLength + 1} characters (contextLength ${contextLength}, a window every ${stride}; the last ${TEST_PERCENT}% ` +
        `tests). Allowed: at least ${MIN_WINDOWS} in each, so at least ${minTextChars(contextLength)} characters at this contextLength.`,
    );
  }
  const trainPoints = codePoints.subarray(0, trainChars);
  const testPoints = codePoints.subarray(trainChars);
  const vocabulary = buildVocabulary(trainPoints, testPoints);
  const train = encodeText(vocabulary, trainPoints);
  const test = encodeText(vocabulary, testPoints);
  const first = train.ids[0] ?? 0;
  if (train.ids.every((id) => id === first)) {
    throw new DatasetFileError(
      `Text file ${file}: its training part (the first ${100 - TEST_PERCENT}%) is one character repeated ` +
        `(${charLabel(vocabulary.chars[first] ?? '')}), which leaves nothing to predict; allowed: a text with at least 2 distinct characters there.`,
    );
  }
  const classes = vocabulary.chars.length;
  return {
    train: cutWindows(train.ids, contextLength, `${name}-train`, classes),
    test: cutWindows(test.ids, contextLength, `${name}-test`, classes),
    textInfo: {
      contextLength,
      stride,
      chars,
      trainChars,
      testChars,
      vocabulary: vocabulary.chars,
      otherId: vocabulary.otherId,
      mapped: train.mapped + test.mapped,
      unigramBitsPerChar: unigramBitsPerChar(train.ids),
    },
  };
}

const NAMED: Readonly<Record<string, string>> = {
  ' ': 'space',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  [OTHER_CHAR]: 'other',
};

/** A readable name for a vocabulary character: whitespace, control and invisible characters by name or U+XXXX, the rest as themselves. */
export function charLabel(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  return /^[\p{C}\p{Z}]$/u.test(char) ? codePointName(char.codePointAt(0) ?? 0) : char;
}

function codePointName(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}
