/**
 * Reads IDX files, the format of MNIST, Fashion-MNIST, KMNIST and EMNIST, plain
 * or gzipped, into the engine's layout. Pure: the caller supplies the bytes and
 * gzip goes through the DecompressionStream global (browsers, Node 18+).
 *
 * Layout: 0x00 0x00, a type byte, a rank byte, then one big-endian int32 size
 * per dimension, then the data row-major. Only unsigned bytes are read; the
 * engine stores every image as uint8.
 */
import { DatasetFileError, type ImageDataset } from './dataset-file';
import { messageOf } from '../core/errors';

export const IDX_UBYTE = 0x08;

const IDX_TYPE_NAMES: Readonly<Record<number, string>> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

export const IDX_TRAIN_IMAGES = 'train-images-idx3-ubyte';
export const IDX_TRAIN_LABELS = 'train-labels-idx1-ubyte';
export const IDX_TEST_IMAGES = 't10k-images-idx3-ubyte';
export const IDX_TEST_LABELS = 't10k-labels-idx1-ubyte';
export const IDX_FILES = [IDX_TRAIN_IMAGES, IDX_TRAIN_LABELS, IDX_TEST_IMAGES, IDX_TEST_LABELS] as const;

/** A parsed IDX file; `data` is a view into the bytes given, not a copy. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const hex = (byte: number) => `0x${byte.toString(16).padStart(2, '0')}`;

export function parseIdx(name: string, bytes: Uint8Array): IdxArray {
  const fail = (what: string): never => {
    throw new DatasetFileError(`IDX file ${name}: ${what}`);
  };
  if (bytes.length < 4) fail(`${bytes.length} bytes is shorter than the 4-byte magic number.`);
  const [zero0 = 0, zero1 = 0, type = 0, rank = 0] = bytes;
  if (zero0 !== 0 || zero1 !== 0) {
    fail(`starts with ${hex(zero0)} ${hex(zero1)}, expected 0x00 0x00 (not an IDX file; gzipped data starts with 0x1f 0x8b).`);
  }
  if (type !== IDX_UBYTE) {
    const known = IDX_TYPE_NAMES[type];
    fail(`type byte ${hex(type)}${known ? ` (${known})` : ''} is not supported; allowed: ${hex(IDX_UBYTE)} (unsigned byte).`);
  }
  if (rank < 1) fail('rank byte is 0; an IDX array has at least one dimension.');
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    fail(`is ${bytes.length} bytes, truncated inside the header (rank ${rank} needs ${headerBytes} header bytes).`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < rank; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const dataBytes = dims.reduce((a, b) => a * b, 1);
  const expected = headerBytes + dataBytes;
  if (bytes.length !== expected) {
    fail(
      `is ${bytes.length} bytes; dimensions [${dims.join(', ')}] need exactly ${expected} ` +
        `(${headerBytes}-byte header + ${dataBytes} data bytes)${bytes.length < expected ? ', so it is truncated' : ''}.`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Writes an unsigned-byte IDX file (tests and conversion tools). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  if (dims.length < 1 || dims.length > 255 || dims.some((d) => !Number.isInteger(d) || d < 0 || d > 0xffffffff)) {
    throw new Error(`encodeIdx: dims [${dims.join(', ')}]; allowed: 1 to 255 integers from 0 to 2^32 - 1.`);
  }
  const size = dims.reduce((a, b) => a * b, 1);
  if (data.length !== size) {
    throw new Error(`encodeIdx: data has ${data.length} bytes; dims [${dims.join(', ')}] need exactly ${size}.`);
  }
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + size);
  out[2] = IDX_UBYTE;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, header);
  return out;
}

/**
 * Gunzips when the bytes start with the gzip magic 1f 8b; otherwise returns
 * them as they are. Bad gzip data (truncated, garbled, a wrong checksum)
 * throws `<name>: corrupt gzip data (<the decompressor's reason>)`.
 */
export async function maybeGunzip(bytes: Uint8Array, name = 'data'): Promise<Uint8Array> {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  // Copied so that a view of a SharedArrayBuffer is accepted as a BlobPart.
  const stream = new Blob([bytes.slice()]).stream().pipeThrough(new DecompressionStream('gzip'));
  // Read directly, not through `new Response(stream)`: Chrome reports a body
  // stream's error as "Failed to fetch" and drops the decompressor's reason.
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.length;
    }
  } catch (e) {
    throw new DatasetFileError(`${name}: corrupt gzip data (${messageOf(e)})`, { cause: e });
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Tries `name`, then `name.gz`; null when neither is there. */
async function fetchEither(
  get: (fileName: string) => Promise<Uint8Array | null>,
  name: string,
): Promise<{ name: string; bytes: Uint8Array } | null> {
  const plain = await get(name);
  if (plain) return { name, bytes: plain };
  const gz = await get(`${name}.gz`);
  return gz ? { name: `${name}.gz`, bytes: gz } : null;
}

interface Split {
  images: IdxArray;
  imagesFile: string;
  labels: IdxArray;
  labelsFile: string;
}

function checkSplit(split: Split): { count: number; height: number; width: number; channels: number } {
  const { images, imagesFile, labels, labelsFile } = split;
  const [n = 0, height = 0, width = 0, channels = 1] = images.dims;
  if (images.dims.length !== 3 && images.dims.length !== 4) {
    throw new DatasetFileError(
      `IDX file ${imagesFile}: images have rank ${images.dims.length} [${images.dims.join(', ')}]; allowed: 3 [n, h, w] or 4 [n, h, w, c].`,
    );
  }
  if (n < 1 || height < 1 || width < 1 || channels < 1) {
    throw new DatasetFileError(`IDX file ${imagesFile}: images have shape [${images.dims.join(', ')}]; every size must be at least 1.`);
  }
  if (labels.dims.length !== 1) {
    throw new DatasetFileError(
      `IDX file ${labelsFile}: labels have rank ${labels.dims.length} [${labels.dims.join(', ')}]; allowed: 1 [n].`,
    );
  }
  const labelCount = labels.dims[0] ?? 0;
  if (labelCount !== n) {
    throw new DatasetFileError(`IDX files ${imagesFile} and ${labelsFile} disagree: ${n} images but ${labelCount} labels.`);
  }
  const bad = labels.data.findIndex((label) => label >= 255);
  if (bad >= 0) {
    throw new DatasetFileError(`IDX file ${labelsFile}: label ${bad} is ${labels.data[bad]}; allowed 0..254.`);
  }
  return { count: n, height, width, channels };
}

/**
 * Reads the four standard files (each plain or `.gz`). Both splits get the
 * same class count, max label + 1 over both, so train and test agree on it.
 */
export async function readIdxDataset(
  get: (fileName: string) => Promise<Uint8Array | null>,
  name = 'idx',
): Promise<{ train: ImageDataset; test: ImageDataset }> {
  const found = await Promise.all(IDX_FILES.map((file) => fetchEither(get, file)));
  const missing = IDX_FILES.filter((_, i) => !found[i]);
  if (missing.length > 0) {
    throw new DatasetFileError(
      `IDX dataset ${name}: missing ${missing.map((m) => `${m} (or ${m}.gz)`).join(', ')}. ` +
        `Expected the four files ${IDX_FILES.join(', ')}, each plain or gzipped.`,
    );
  }
  const load = async (i: number) => {
    const { name: fileName, bytes } = found[i] as { name: string; bytes: Uint8Array };
    return { fileName, array: parseIdx(fileName, await maybeGunzip(bytes, `IDX file ${fileName}`)) };
  };
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([load(0), load(1), load(2), load(3)]);
  const train: Split = {
    images: trainImages.array, imagesFile: trainImages.fileName,
    labels: trainLabels.array, labelsFile: trainLabels.fileName,
  };
  const test: Split = {
    images: testImages.array, imagesFile: testImages.fileName,
    labels: testLabels.array, labelsFile: testLabels.fileName,
  };
  const trainShape = checkSplit(train);
  const testShape = checkSplit(test);
  if (
    trainShape.height !== testShape.height ||
    trainShape.width !== testShape.width ||
    trainShape.channels !== testShape.channels
  ) {
    const shape = (s: typeof trainShape) => `${s.height}x${s.width}x${s.channels}`;
    throw new DatasetFileError(
      `IDX files ${train.imagesFile} and ${test.imagesFile} disagree: images are ${shape(trainShape)} and ${shape(testShape)}; both splits must have one shape.`,
    );
  }
  let maxLabel = 0;
  for (const label of train.labels.data) if (label > maxLabel) maxLabel = label;
  for (const label of test.labels.data) if (label > maxLabel) maxLabel = label;
  const classes = maxLabel + 1;
  if (classes < 2) {
    throw new DatasetFileError(
      `IDX dataset ${name}: every label in ${train.labelsFile} and ${test.labelsFile} is 0; at least 2 classes are needed.`,
    );
  }
  const dataset = (split: Split, shape: typeof trainShape, suffix: string): ImageDataset => ({
    name: `${name}-${suffix}`,
    ...shape,
    classes,
    labels: split.labels.data,
    images: split.images.data,
  });
  return { train: dataset(train, trainShape, 'train'), test: dataset(test, testShape, 'test') };
}
