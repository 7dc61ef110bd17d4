/**
 * `--dataset cifar10:DIR` and `--dataset idx:DIR` name a folder on this
 * machine; the page can only fetch URLs. The benchmark serves each such folder
 * under a private URL prefix through Playwright's request routing and hands
 * the page that prefix instead.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { parseDatasetSpec, formatDatasetSpec } from '../core/dataset-spec';
import { BenchArgsError } from './args';

/** URL prefix the page sees for the local dataset folder. */
export const LOCAL_DATA_PREFIX = '/__tandem-local-data/';

export interface LocalDataset {
  /** The dataset spec to give the page. */
  dataset: string;
  /** The folder served, absolute; null when the dataset needs none. */
  dir: string | null;
}

export function localDataset(dataset: string | undefined): LocalDataset | null {
  if (dataset === undefined) return null;
  const spec = parseDatasetSpec(dataset);
  if (!spec || spec.location === null) return null;
  const dir = resolve(spec.location);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new BenchArgsError('--dataset', dataset, `${spec.kind}:DIR with DIR an existing folder (${dir} is not one)`);
  }
  return { dataset: formatDatasetSpec({ kind: spec.kind, location: LOCAL_DATA_PREFIX }), dir };
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
