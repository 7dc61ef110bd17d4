/** The page's dataset loader: fetches files the server (or the benchmark) serves, by dataset spec. */
import { DATASET_SPEC_HELP, parseDatasetSpec } from '../core/dataset-spec';
import { DatasetFileError } from './dataset-file';
import { loadDataset, type FetchBytes, type LoadedDataset } from './sources';
import { messageOf } from '../core/errors';

/** Where public/data/ is served: the embedded datasets and the default cifar10/ folder. */
export const DATA_BASE = `${import.meta.env.BASE_URL}data/`;

/**
 * A missing file is null. Vite's dev server answers unknown paths with the
 * page itself (200, text/html), which is never a dataset file either.
 */
export const fetchBytes: FetchBytes = async (url) => {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new DatasetFileError(`Fetching ${url} failed: ${messageOf(e)}`);
  }
  if (response.status === 404 || (response.headers.get('content-type') ?? '').includes('text/html')) return null;
  if (!response.ok) throw new DatasetFileError(`${url} answered ${response.status} ${response.statusText}.`);
  return new Uint8Array(await response.arrayBuffer());
};

export async function loadDatasetBySpec(dataset: string, options: { contextLength?: number } = {}): Promise<LoadedDataset> {
  const spec = parseDatasetSpec(dataset);
  if (!spec) throw new DatasetFileError(`Invalid dataset: ${JSON.stringify(dataset)}. Allowed: ${DATASET_SPEC_HELP}.`);
  return loadDataset(spec, fetchBytes, DATA_BASE, options);
}

/** True when the default CIFAR-10 folder (public/data/cifar10/) holds the test file: the page lists cifar10 only then. */
export async function cifar10Present(): Promise<boolean> {
  const response = await fetch(`${DATA_BASE}cifar10/test_batch.bin`, { method: 'HEAD' }).catch(() => null);
  return response !== null && response.ok && !(response.headers.get('content-type') ?? '').includes('text/html');
}
