/**
 * A dataset named by one string, `kind[:location]`; see src/data/sources.ts
 * for what each kind loads. Pure, so the config validator can check it.
 */

export type DatasetKind = 'fashion-mnist' | 'mnist' | 'cifar10' | 'idx' | 'moby-dick' | 'text';
export const DATASET_KINDS: readonly DatasetKind[] = ['fashion-mnist', 'mnist', 'cifar10', 'idx', 'moby-dick', 'text'];

/** The kinds whose location is one file rather than a folder of files. */
const FILE_KINDS: readonly DatasetKind[] = ['text'];
/** The kinds that have only their built-in location. */
const EMBEDDED_KINDS: readonly DatasetKind[] = ['fashion-mnist', 'mnist', 'moby-dick'];

export interface DatasetSpec {
  kind: DatasetKind;
  /**
   * Where the data is, or null for the built-in location. For cifar10 and
   * idx a folder: a URL prefix ending in '/'. For text a file: its URL or
   * path, as given.
   */
  location: string | null;
}

export const DATASET_SPEC_HELP =
  'fashion-mnist, mnist, cifar10, cifar10:LOCATION or idx:LOCATION (LOCATION: the folder the files are in), ' +
  'moby-dick, or text:LOCATION (LOCATION: a UTF-8 text file, not a folder)';

/** Parses `kind[:location]`; null when the text is not a dataset spec. */
export function parseDatasetSpec(text: string): DatasetSpec | null {
  const at = text.indexOf(':');
  const kind = (at < 0 ? text : text.slice(0, at)).trim();
  const location = at < 0 ? null : text.slice(at + 1).trim();
  if (!(DATASET_KINDS as readonly string[]).includes(kind)) return null;
  const known = kind as DatasetKind;
  if (location === '') return null;
  if (EMBEDDED_KINDS.includes(known) && location !== null) return null;
  if ((known === 'idx' || known === 'text') && location === null) return null;
  if (location === null) return { kind: known, location: null };
  if (FILE_KINDS.includes(known)) return location.endsWith('/') ? null : { kind: known, location };
  return { kind: known, location: location.endsWith('/') ? location : `${location}/` };
}

export function formatDatasetSpec(spec: DatasetSpec): string {
  return spec.location === null ? spec.kind : `${spec.kind}:${spec.location}`;
}
