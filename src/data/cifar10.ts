/**
 * Reads the official CIFAR-10 binary batches (cifar-10-binary.tar.gz, already
 * unpacked) into the engine's layout. Pure: the caller supplies the bytes, so
 * the same code runs in the page (fetch, file picker) and in Node tests.
 *
 * A record is 1 label byte then 3,072 pixel bytes stored planar: the 1,024
 * red values, then green, then blue, each 32x32 row-major. The engine wants
 * interleaved HWC, so every record is transposed once here.
 */
import { DatasetFileError, type ImageDataset } from './dataset-file';

export const CIFAR10_SIDE = 32;
export const CIFAR10_CHANNELS = 3;
export const CIFAR10_PIXELS = CIFAR10_SIDE * CIFAR10_SIDE;
export const CIFAR10_IMAGE_BYTES = CIFAR10_PIXELS * CIFAR10_CHANNELS;
export const CIFAR10_RECORD_BYTES = 1 + CIFAR10_IMAGE_BYTES;

export const CIFAR10_TRAIN_FILES = [
  'data_batch_1.bin',
  'data_batch_2.bin',
  'data_batch_3.bin',
  'data_batch_4.bin',
  'data_batch_5.bin',
] as const;
export const CIFAR10_TEST_FILE = 'test_batch.bin';

/** Label i names class CIFAR10_CLASSES[i] (the order of batches.meta.txt). */
export const CIFAR10_CLASSES = [
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
] as const;

/** One batch file as read from disk or the network. */
export interface Cifar10File {
  name: string;
  bytes: Uint8Array;
}

function recordCount(file: Cifar10File): number {
  const size = file.bytes.length;
  if (size === 0) {
    throw new DatasetFileError(
      `CIFAR-10 file ${file.name} is empty; a batch is a whole number of ${CIFAR10_RECORD_BYTES}-byte records.`,
    );
  }
  const remainder = size % CIFAR10_RECORD_BYTES;
  if (remainder !== 0) {
    throw new DatasetFileError(
      `CIFAR-10 file ${file.name} is ${size} bytes, not a multiple of the ${CIFAR10_RECORD_BYTES}-byte record ` +
        `(${Math.floor(size / CIFAR10_RECORD_BYTES)} records and ${remainder} bytes left over); the file is truncated or not a CIFAR-10 batch.`,
    );
  }
  return size / CIFAR10_RECORD_BYTES;
}

/** Concatenates the files' records, in the order given, into one split in HWC layout. */
export function parseCifar10(files: readonly Cifar10File[], split: 'train' | 'test'): ImageDataset {
  if (files.length === 0) {
    throw new DatasetFileError(`CIFAR-10 ${split} split: no files given; expected at least one batch file.`);
  }
  const counts = files.map(recordCount);
  const count = counts.reduce((a, b) => a + b, 0);
  const labels = new Uint8Array(count);
  const images = new Uint8Array(count * CIFAR10_IMAGE_BYTES);
  let sample = 0;
  files.forEach((file, f) => {
    const bytes = file.bytes;
    const records = counts[f] ?? 0;
    for (let r = 0; r < records; r++, sample++) {
      const at = r * CIFAR10_RECORD_BYTES;
      const label = bytes[at] ?? 0;
      if (label >= CIFAR10_CLASSES.length) {
        throw new DatasetFileError(
          `CIFAR-10 file ${file.name}: record ${r} has label byte ${label}; allowed 0..${CIFAR10_CLASSES.length - 1}.`,
        );
      }
      labels[sample] = label;
      const red = at + 1;
      const green = red + CIFAR10_PIXELS;
      const blue = green + CIFAR10_PIXELS;
      let out = sample * CIFAR10_IMAGE_BYTES;
      for (let p = 0; p < CIFAR10_PIXELS; p++, out += 3) {
        images[out] = bytes[red + p] ?? 0;
        images[out + 1] = bytes[green + p] ?? 0;
        images[out + 2] = bytes[blue + p] ?? 0;
      }
    }
  });
  return {
    name: `cifar10-${split}`,
    count,
    height: CIFAR10_SIDE,
    width: CIFAR10_SIDE,
    channels: CIFAR10_CHANNELS,
    classes: CIFAR10_CLASSES.length,
    labels,
    images,
  };
}

/**
 * Asks `get` for the official file names (null = not there). Any non-empty
 * subset of the five training batches is accepted, so a quick run can load
 * one; the test batch is always required so accuracies stay comparable.
 */
export async function readCifar10(
  get: (fileName: string) => Promise<Uint8Array | null>,
): Promise<{ train: ImageDataset; test: ImageDataset }> {
  const [testBytes, ...trainBytes] = await Promise.all([CIFAR10_TEST_FILE, ...CIFAR10_TRAIN_FILES].map(get));
  const trainFiles: Cifar10File[] = [];
  CIFAR10_TRAIN_FILES.forEach((name, i) => {
    const bytes = trainBytes[i];
    if (bytes) trainFiles.push({ name, bytes });
  });
  const missing: string[] = [];
  if (!testBytes) missing.push(CIFAR10_TEST_FILE);
  if (trainFiles.length === 0) missing.push(`all of ${CIFAR10_TRAIN_FILES.join(', ')}`);
  if (missing.length > 0) {
    throw new DatasetFileError(
      `CIFAR-10: missing ${missing.join(' and ')}. Expected ${CIFAR10_TEST_FILE} and at least one of ` +
        `${CIFAR10_TRAIN_FILES.join(', ')} (the files of cifar-10-binary.tar.gz).`,
    );
  }
  return {
    train: parseCifar10(trainFiles, 'train'),
    test: parseCifar10([{ name: CIFAR10_TEST_FILE, bytes: testBytes as Uint8Array }], 'test'),
  };
}

/** Writes records in the official format from HWC images (tests and conversion tools). */
export function encodeCifar10(labels: Uint8Array, imagesHWC: Uint8Array): Uint8Array {
  if (imagesHWC.length !== labels.length * CIFAR10_IMAGE_BYTES) {
    throw new Error(
      `encodeCifar10: imagesHWC has ${imagesHWC.length} bytes; ${labels.length} labels need exactly ` +
        `${labels.length * CIFAR10_IMAGE_BYTES} (32x32x3 each).`,
    );
  }
  const out = new Uint8Array(labels.length * CIFAR10_RECORD_BYTES);
  for (let r = 0; r < labels.length; r++) {
    const at = r * CIFAR10_RECORD_BYTES;
    out[at] = labels[r] ?? 0;
    const src = r * CIFAR10_IMAGE_BYTES;
    for (let p = 0; p < CIFAR10_PIXELS; p++) {
      for (let c = 0; c < CIFAR10_CHANNELS; c++) {
        out[at + 1 + c * CIFAR10_PIXELS + p] = imagesHWC[src + p * CIFAR10_CHANNELS + c] ?? 0;
      }
    }
  }
  return out;
}
