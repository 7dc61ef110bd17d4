/**
 * Reads the compact dataset file that scripts/prepare-data.mjs writes
 * (header, labels, images). Pure: no fetch, no DOM, so Node tests can feed it
 * good and broken files.
 */

export const DATASET_MAGIC = 'TNDM';
export const DATASET_VERSION = 1;
export const DATASET_HEADER_BYTES = 32;

export interface ImageDataset {
  name: string;
  count: number;
  height: number;
  width: number;
  channels: number;
  classes: number;
  /** One byte per sample, 0..classes-1. */
  labels: Uint8Array;
  /** count * height * width * channels bytes, sample-major, HWC. */
  images: Uint8Array;
}

export class DatasetFileError extends Error {
  override readonly name = 'DatasetFileError';
}

export function parseDatasetFile(name: string, bytes: Uint8Array): ImageDataset {
  const fail = (what: string): never => {
    throw new DatasetFileError(`Dataset file ${name}: ${what}`);
  };
  if (bytes.length < DATASET_HEADER_BYTES) {
    fail(`${bytes.length} bytes is shorter than the ${DATASET_HEADER_BYTES}-byte header.`);
  }
  const magic = String.fromCharCode(bytes[0] ?? 0, bytes[1] ?? 0, bytes[2] ?? 0, bytes[3] ?? 0);
  if (magic !== DATASET_MAGIC) fail(`starts with ${JSON.stringify(magic)}, expected "${DATASET_MAGIC}".`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (i: number) => view.getUint32(4 + 4 * i, true);
  const [version, count, height, width, channels, classes] = [0, 1, 2, 3, 4, 5].map(u32) as [
    number, number, number, number, number, number,
  ];
  if (version !== DATASET_VERSION) fail(`version ${version}; this build reads version ${DATASET_VERSION}.`);
  if (count < 1 || height < 1 || width < 1 || channels < 1 || classes < 2 || classes > 255) {
    fail(`header has count ${count}, shape ${height}x${width}x${channels}, classes ${classes}; all must be positive and classes in 2..255.`);
  }
  const sampleBytes = height * width * channels;
  const expected = DATASET_HEADER_BYTES + count + count * sampleBytes;
  if (bytes.length !== expected) {
    fail(`is ${bytes.length} bytes; a header of ${count} samples of ${sampleBytes} bytes needs exactly ${expected}.`);
  }
  const labels = bytes.subarray(DATASET_HEADER_BYTES, DATASET_HEADER_BYTES + count);
  const bad = labels.findIndex((label) => label >= classes);
  if (bad >= 0) fail(`sample ${bad} has label ${labels[bad]}; labels must be below ${classes}.`);
  const images = bytes.subarray(DATASET_HEADER_BYTES + count);
  return { name, count, height, width, channels, classes, labels, images };
}

/** Writes the same format (tests, and any tool that converts other data). */
export function encodeDatasetFile(d: Omit<ImageDataset, 'name'>): Uint8Array {
  const out = new Uint8Array(DATASET_HEADER_BYTES + d.count + d.images.length);
  out.set([...DATASET_MAGIC].map((c) => c.charCodeAt(0)), 0);
  const view = new DataView(out.buffer);
  [DATASET_VERSION, d.count, d.height, d.width, d.channels, d.classes, 0].forEach((v, i) =>
    view.setUint32(4 + 4 * i, v, true),
  );
  out.set(d.labels, DATASET_HEADER_BYTES);
  out.set(d.images, DATASET_HEADER_BYTES + d.count);
  return out;
}
