/**
 * Dataset files picked from the person's disk (the page's "Dataset files"
 * input): which set they are, read by the same readers as served files, and
 * named by a spec the engine's loader answers from memory. Pure (no DOM), so
 * Node tests cover it.
 *
 * The spec is `cifar10:local/<fingerprint>/`, `idx:local/<fingerprint>/` or,
 * for one text file, `text:local/<fingerprint>/<name>` (the name with
 * anything but letters, digits, `.`, `_` and `-` as `_`), the fingerprint
 * hashing the files' names, sizes and dates. A text file is cut into windows
 * of the run's contextLength, so its bytes are kept and cut again when a run
 * asks for another. Two reasons: the
 * engine caches a loaded dataset by its spec, so a different pick must get a
 * different spec; and picking the same files again after a reload gives the
 * same spec, so a checkpoint of a run on them can be resumed.
 */
import { formatDatasetSpec, parseDatasetSpec, type DatasetKind } from '../core/dataset-spec';
import { CIFAR10_RECORD_BYTES, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES } from '../data/cifar10';
import { DatasetFileError } from '../data/dataset-file';
import { IDX_FILES } from '../data/idx';
import { loadDataset, type FetchBytes, type LoadedDataset, type LoadOptions } from '../data/sources';

/** Every local spec's location starts with this; nothing is served there. */
export const LOCAL_PREFIX = 'local/';

/** One picked file, as the page reads it from a `File`. */
export interface PickedFile {
  name: string;
  bytes: Uint8Array;
  /** File.lastModified, ms; part of the fingerprint. */
  lastModified: number;
}

export type PickedKind = Extract<DatasetKind, 'cifar10' | 'idx' | 'text'>;

const CIFAR10_NAMES: readonly string[] = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE];
const IDX_NAMES: readonly string[] = IDX_FILES.flatMap((f) => [f, `${f}.gz`]);
/** A text file is one whose name ends so; it is read as text only when no CIFAR-10 or IDX file is picked with it (batches.meta.txt). */
const TEXT_NAME = /\.txt$/i;

export const PICKED_FILES_HELP =
  `CIFAR-10: ${CIFAR10_TEST_FILE} and any of ${CIFAR10_TRAIN_FILES.join(', ')} (${CIFAR10_RECORD_BYTES}-byte records); ` +
  `or IDX: ${IDX_FILES.join(', ')}, each optionally .gz; or one UTF-8 text file (.txt), read by character`;

/** Which set the names belong to; names of neither set are returned as ignored (a README, batches.meta.txt). */
export function detectPickedSet(names: readonly string[]): { kind: PickedKind; used: string[]; ignored: string[] } {
  const cifar = names.filter((n) => CIFAR10_NAMES.includes(n));
  const idx = names.filter((n) => IDX_NAMES.includes(n));
  const ignored = names.filter((n) => !CIFAR10_NAMES.includes(n) && !IDX_NAMES.includes(n));
  if (cifar.length > 0 && idx.length > 0) {
    throw new DatasetFileError(
      `The picked files mix CIFAR-10 (${cifar.join(', ')}) and IDX (${idx.join(', ')}) files; pick the files of one dataset.`,
    );
  }
  if (cifar.length === 0 && idx.length === 0) {
    const texts = names.filter((n) => TEXT_NAME.test(n));
    if (texts.length === 1) return { kind: 'text', used: texts, ignored: names.filter((n) => !texts.includes(n)) };
    if (texts.length > 1) {
      throw new DatasetFileError(`${texts.length} text files were picked (${texts.join(', ')}); a text dataset is one file: pick one .txt file.`);
    }
    const picked = names.length === 0 ? 'No file was picked' : `None of the picked files (${names.join(', ')}) is a dataset file`;
    throw new DatasetFileError(`${picked}. Expected ${PICKED_FILES_HELP}.`);
  }
  return cifar.length > 0 ? { kind: 'cifar10', used: cifar, ignored } : { kind: 'idx', used: idx, ignored };
}

/** FNV-1a over the used files' names, sizes and dates, as 8 hex digits. */
export function fingerprint(files: readonly Pick<PickedFile, 'name' | 'bytes' | 'lastModified'>[]): string {
  const text = files
    .map((f) => `${f.name}:${f.bytes.length}:${f.lastModified}`)
    .sort()
    .join('|');
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** A picked file's name as it goes in a text spec: letters, digits, `.`, `_` and `-`, the rest as `_`. */
export function specFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function isLocalSpec(dataset: string): boolean {
  return parseDatasetSpec(dataset)?.location?.startsWith(LOCAL_PREFIX) ?? false;
}

/** What a successful pick gives the page to show. */
export interface PickedDataset {
  spec: string;
  kind: PickedKind;
  dataset: LoadedDataset;
  used: string[];
  ignored: string[];
}

/**
 * Holds the last picked set, read and checked, for the engine's loader.
 * Only the last: a dataset can be large, and the engine keeps its own copy
 * in shared memory once a run has used it.
 */
export class LocalDatasets {
  private latest: PickedDataset | null = null;
  /** The last pick's bytes by the URL its spec reads them under (a text file is cut again for another contextLength). */
  private files: FetchBytes = async () => null;

  /**
   * Detects, reads and checks the files; throws a DatasetFileError naming the
   * file and the problem. `options.contextLength`: how a text file is cut for
   * this check (a run cuts it again at its own).
   */
  async pick(files: readonly PickedFile[], options: LoadOptions = {}): Promise<PickedDataset> {
    const { kind, used, ignored } = detectPickedSet(files.map((f) => f.name));
    const usedFiles = files.filter((f) => used.includes(f.name));
    const folder = `${LOCAL_PREFIX}${fingerprint(usedFiles)}/`;
    const location = kind === 'text' ? `${folder}${specFileName(used[0] ?? '')}` : folder;
    const spec = formatDatasetSpec({ kind, location });
    const byUrl = new Map(usedFiles.map((f) => [kind === 'text' ? location : `${location}${f.name}`, f.bytes]));
    const read: FetchBytes = async (url) => byUrl.get(url) ?? null;
    // The data base is unused: a spec with a location reads only under it.
    const dataset = await loadDataset({ kind, location }, read, '', options);
    this.latest = { spec, kind, dataset, used, ignored };
    this.files = read;
    return this.latest;
  }

  /** The engine's loader: local specs from the last pick, everything else from `fallback`. */
  loader(
    fallback: (dataset: string, options: { contextLength: number }) => Promise<LoadedDataset>,
  ): (dataset: string, options: { contextLength: number }) => Promise<LoadedDataset> {
    return async (dataset, options) => {
      if (!isLocalSpec(dataset)) return fallback(dataset, options);
      const spec = parseDatasetSpec(dataset);
      const canonical = spec ? formatDatasetSpec(spec) : dataset;
      const latest = this.latest;
      if (latest && latest.spec === canonical && spec) {
        const cut = latest.dataset.textInfo?.contextLength;
        return cut === undefined || cut === options.contextLength ? latest.dataset : loadDataset(spec, this.files, '', options);
      }
      throw new DatasetFileError(
        `Dataset ${dataset} is files picked from disk${this.latest ? ' before the ones picked last' : ' in an earlier visit'}; ` +
          'files picked in a page are kept only in that page. Pick the same files again with Dataset files.',
      );
    };
  }
}
