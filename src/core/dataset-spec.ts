/**
 * A dataset named by one string, `kind[:location]`; see src/data/sources.ts
 * for what each kind loads. Pure, so the config validator can check it.
 */

export type DatasetKind = 'fashion-mnist' | 'mnist' | 'cifar10' | 'idx';
export const DATASET_KINDS: readonly DatasetKind[] = ['fashion-mnist', 'mnist', 'cifar10', 'idx'];

export interface DatasetSpec {
  kind: DatasetKind;
  /** URL prefix ending in '/', or null for the built-in location. */
  location: string | null;
}

export const DATASET_SPEC_HELP =
  'fashion-mnist, mnist, cifar10, cifar10:LOCATION or idx:LOCATION (LOCATION: where the files are)';

/** Parses `kind[:location]`; null when the text is not a dataset spec. */
export function parseDatasetSpec(text: string): DatasetSpec | null {
  const at = text.indexOf(':');
  const kind = (at < 0 ? text : text.slice(0, at)).trim();
  const location = at < 0 ? null : text.slice(at + 1).trim();
  if (!(DATASET_KINDS as readonly string[]).includes(kind)) return null;
  if (location === '') return null;
  if ((kind === 'fashion-mnist' || kind === 'mnist') && location !== null) return null;
  if (kind === 'idx' && location === null) return null;
  return { kind: kind as DatasetKind, location: location === null ? null : location.endsWith('/') ? location : `${location}/` };
}

export function formatDatasetSpec(spec: DatasetSpec): string {
  return spec.location === null ? spec.kind : `${spec.kind}:${spec.location}`;
}

