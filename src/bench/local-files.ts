/**
 * The paths on this machine that a benchmark reads and writes: the local
 * dataset folder (`--dataset cifar10:DIR`, `--dataset idx:DIR`) and the
 * results (`--out`, bench:paper's `--out-dir`). Each is checked before
 * anything is built or started, so a typo costs seconds, not a finished
 * benchmark. The page can only fetch URLs, so a dataset folder is served
 * under a private URL prefix through Playwright's request routing.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Page } from '@playwright/test';
import { parseDatasetSpec, formatDatasetSpec } from '../core/dataset-spec';
import { clip, quote } from '../core/errors';
import { BenchArgsError } from './arg-values';

/** URL prefix the page sees for the local dataset folder. */
export const LOCAL_DATA_PREFIX = '/__tandem-local-data/';

export interface LocalDataset {
  /** The dataset spec to give the page. */
  dataset: string;
  /** The folder served, absolute; null when the dataset needs none. */
  dir: string | null;
}

/** What is at a path: `other` is a device, a pipe or a socket. */
export type PathKind = 'file' | 'folder' | 'other' | 'none';

/** The file system as the checks see it; tests swap `writable` to stand for a folder root could write anyway. */
export interface PathProbe {
  kind(path: string): PathKind;
  /** Whether this process may write the file, or create entries in the folder. */
  writable(path: string, kind: 'file' | 'folder' | 'other'): boolean;
}

export const NODE_PATHS: PathProbe = {
  kind(path) {
    let stats;
    try {
      stats = statSync(path, { throwIfNoEntry: false });
    } catch {
      // ENOTDIR (a file on the way) or EACCES: nothing reachable there.
      return 'none';
    }
    if (stats === undefined) return 'none';
    return stats.isDirectory() ? 'folder' : stats.isFile() ? 'file' : 'other';
  },
  writable(path, kind) {
    try {
      accessSync(path, kind === 'folder' ? constants.W_OK | constants.X_OK : constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
};

/** `Invalid --out: "x": why. Allowed: allowed.` */
function refuse(flag: string, value: string, why: string, allowed: string): BenchArgsError {
  return new BenchArgsError(flag, value, allowed, `Invalid ${flag}: ${quote(value)}: ${why}. Allowed: ${allowed}.`);
}

/**
 * Why no folder can be made at `path` (absolute, absent), or null when one
 * can: its nearest existing ancestor must be a folder this process may
 * write in (the missing folders are created, as bench-results/ is).
 */
function cannotCreate(path: string, probe: PathProbe): string | null {
  let ancestor = dirname(path);
  let kind = probe.kind(ancestor);
  while (kind === 'none' && dirname(ancestor) !== ancestor) {
    ancestor = dirname(ancestor);
    kind = probe.kind(ancestor);
  }
  if (kind === 'none') return `nothing on its way exists, down to ${clip(ancestor)}`;
  if (kind !== 'folder') return `${clip(ancestor)} on its way is a file, not a folder`;
  if (!probe.writable(ancestor, 'folder')) return `folder ${clip(ancestor)} on its way is not writable`;
  return null;
}

const FILE_ALLOWED = 'a file path in a folder this user can write (missing folders are created)';
const FOLDER_ALLOWED = 'a folder this user can write, or a path where one can be created';

/** Refuses, naming `flag`, a path the results file could not be written to at the end of the benchmark. */
export function checkOutputFile(flag: string, value: string, probe: PathProbe = NODE_PATHS): void {
  if (value.trim() === '') throw refuse(flag, value, 'it is empty', FILE_ALLOWED);
  if (value.endsWith('/') || value.endsWith(sep)) throw refuse(flag, value, 'it ends in a separator, so it names a folder', FILE_ALLOWED);
  const path = resolve(value);
  const kind = probe.kind(path);
  if (kind === 'folder') throw refuse(flag, value, `${clip(path)} is a folder`, FILE_ALLOWED);
  if (kind !== 'none') {
    if (!probe.writable(path, kind)) throw refuse(flag, value, `${clip(path)} exists and is not writable`, FILE_ALLOWED);
    return;
  }
  const why = cannotCreate(path, probe);
  if (why !== null) throw refuse(flag, value, why, FILE_ALLOWED);
}

/** Refuses, naming `flag`, a folder the results could not be written into. */
export function checkOutputFolder(flag: string, value: string, probe: PathProbe = NODE_PATHS): void {
  if (value.trim() === '') throw refuse(flag, value, 'it is empty', FOLDER_ALLOWED);
  const path = resolve(value);
  const kind = probe.kind(path);
  if (kind === 'folder') {
    if (!probe.writable(path, kind)) throw refuse(flag, value, `folder ${clip(path)} is not writable`, FOLDER_ALLOWED);
    return;
  }
  if (kind !== 'none') throw refuse(flag, value, `${clip(path)} is a file, not a folder`, FOLDER_ALLOWED);
  const why = cannotCreate(path, probe);
  if (why !== null) throw refuse(flag, value, why, FOLDER_ALLOWED);
}

/** The dataset as the page is to see it; null when it names no local folder. Refuses a folder that is not there. */
export function localDataset(dataset: string | undefined, probe: PathProbe = NODE_PATHS): LocalDataset | null {
  if (dataset === undefined) return null;
  const spec = parseDatasetSpec(dataset);
  if (!spec || spec.location === null) return null;
  const dir = resolve(spec.location);
  const kind = probe.kind(dir);
  if (kind !== 'folder') {
    const why = kind === 'none' ? `${clip(dir)} does not exist` : `${clip(dir)} is a file, not a folder`;
    throw refuse('--dataset', dataset, why, `${spec.kind}:DIR with DIR an existing folder`);
  }
  return { dataset: formatDatasetSpec({ kind: spec.kind, location: LOCAL_DATA_PREFIX }), dir };
}

/** The paths `npm run bench` reads and writes, checked before the build; returns the local dataset to serve. */
export function checkBenchPaths(options: { out: string; config: { dataset?: string } }, probe: PathProbe = NODE_PATHS): LocalDataset | null {
  checkOutputFile('--out', options.out, probe);
  return localDataset(options.config.dataset, probe);
}

/** Answers the page's requests under LOCAL_DATA_PREFIX from `dir` (file names only, no subfolders). */
export async function serveLocalDataset(page: Page, dir: string): Promise<void> {
  await page.route(`**${LOCAL_DATA_PREFIX}*`, async (route) => {
    const name = decodeURIComponent(new URL(route.request().url()).pathname.slice(LOCAL_DATA_PREFIX.length));
    const path = join(dir, basename(name));
    if (name !== basename(name) || !existsSync(path)) {
      await route.fulfill({ status: 404, body: `not found: ${name}` });
      return;
    }
    await route.fulfill({ status: 200, body: await readFile(path), contentType: 'application/octet-stream' });
  });
}
