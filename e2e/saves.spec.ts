/**
 * Nothing saved is lost: every run keeps its own last keepSaves saves and the
 * page lists each saved run; an import is checked before it is stored and
 * never replaces a save (a damaged file is refused as a checksum mismatch and
 * leaves the store byte-identical; an import during a run is refused);
 * Download model writes the run chosen under "Run to export", named in its
 * model.json.
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Download, type Page } from '@playwright/test';
import { encodeCheckpoint } from '../src/checkpoint/format';
import { validateConfig } from '../src/core/config';
import { createRng } from '../src/core/rng';
import { initialTheta, modelSpec } from '../src/models/spec';
import { exportedCheckpoint, openTandem } from './helpers';

test.describe.configure({ mode: 'serial' });

/** Every stored save as [key, bytes, SHA-256]: read straight from IndexedDB, not through Tandem's own reader. */
async function storedSaves(page: Page): Promise<[string, number, string][]> {
  return page.evaluate(async () => {
    const done = <T>(r: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    const db = await done(indexedDB.open('tandem'));
    try {
      const store = db.transaction('checkpoints', 'readonly').objectStore('checkpoints');
      const [keys, values] = await Promise.all([done(store.getAllKeys()), done(store.getAll() as IDBRequest<Uint8Array[]>)]);
      const rows: [string, number, string][] = [];
      for (const [i, key] of keys.entries()) {
        const bytes = values[i] as Uint8Array;
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes.slice()));
        rows.push([JSON.stringify(key), bytes.length, Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')]);
      }
      return rows;
    } finally {
      db.close();
    }
  });
}

async function finishRun(page: Page, n: number): Promise<void> {
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(page.getByRole('status').first()).toContainText(new RegExp(`Run #${n} finished`), { timeout: 120_000 });
}

const binary = (name: string, buffer: Buffer) => ({ name, mimeType: 'application/octet-stream', buffer });

test('each run keeps its own last saves, listed on the page; a damaged import is refused and changes nothing', async ({ page }) => {
  await openTandem(page, '/?workers=wasm:1&tauFast=2&maxRounds=4&evalSamples=100&checkpointEvery=1&keepSaves=2');
  await finishRun(page, 1);
  const first = (await exportedCheckpoint(page)).runId;
  await page.evaluate(() => window.tandem.setConfig({ keepSaves: 3, seed: 2 }));
  await finishRun(page, 2);
  const second = (await exportedCheckpoint(page)).runId;
  expect(second).not.toBe(first);

  // A save every round and at the end: run 1 keeps its last 2, run 2 its last 3, neither touching the other's.
  const saves = await storedSaves(page);
  const runOf = (key: string) => (JSON.parse(key) as [string])[0];
  expect(saves.filter(([k]) => runOf(k) === first)).toHaveLength(2);
  expect(saves.filter(([k]) => runOf(k) === second)).toHaveLength(3);

  // The page lists both runs, each with its own Resume and Discard.
  const banner = page.getByRole('region', { name: 'Saved runs' });
  await expect(banner.getByRole('listitem')).toHaveCount(2);
  // The accuracy shown is the saved model's own, measured on the whole test set at the run's end.
  const final = await page.evaluate(() => window.tandem.runs().at(-1)?.finalAccuracy ?? null);
  expect(final).not.toBeNull();
  await expect(banner.getByRole('listitem').first()).toContainText(
    `A saved run can be resumed: biased on fashion-mnist, round 4, accuracy ${((final ?? 0) * 100).toFixed(1)}% (whole test set)`,
  );
  await expect(banner).toContainText(`Run ${first.slice(0, 8)}`);
  await expect(banner.getByRole('button', { name: `Resume saved run ${second.slice(0, 8)}` })).toBeEnabled();
  await expect(banner.getByRole('button', { name: `Discard saved run ${first.slice(0, 8)}` })).toBeEnabled();

  // Export run 2's checkpoint, flip one byte, import it: refused as damaged, the store byte for byte as it was.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export checkpoint' }).click()]);
  const good = await readFile(await download.path());
  const damaged = Buffer.from(good);
  const at = damaged.length - 100;
  damaged[at] = (damaged[at] ?? 0) ^ 0x01;
  const before = await storedSaves(page);
  await page.getByLabel('Import checkpoint', { exact: true }).setInputFiles(binary('damaged.tandem', damaged));
  const alert = page.getByRole('alert').filter({ hasText: 'damaged.tandem' });
  await expect(alert).toContainText('Checkpoint damaged.tandem: checksum mismatch');
  await expect(alert).toContainText('Nothing was stored; the saved runs are unchanged.');
  expect(await storedSaves(page)).toEqual(before);
  await expect(banner.getByRole('listitem')).toHaveCount(2);

  // The intact file is stored beside run 2's saves, replacing none of them.
  await page.getByLabel('Import checkpoint', { exact: true }).setInputFiles(binary('good.tandem', good));
  await expect(page.getByText(/Imported good\.tandem: round 4 of biased on fashion-mnist/)).toBeVisible();
  const after = await storedSaves(page);
  expect(after).toEqual(expect.arrayContaining(before));
  expect(after).toHaveLength(before.length + 1);

  // Discard drops one run, all its saves, and leaves the other's.
  await banner.getByRole('button', { name: `Discard saved run ${first.slice(0, 8)}` }).click();
  await expect(banner.getByRole('listitem')).toHaveCount(1);
  expect((await storedSaves(page)).filter(([k]) => runOf(k) === first)).toHaveLength(0);
  expect((await storedSaves(page)).filter(([k]) => runOf(k) === second)).toHaveLength(4);
});

test('two tabs training at once keep their own saves, and each lists both runs', async ({ page, context }) => {
  const url = '/?workers=wasm:1&tauFast=2&maxRounds=6&evalSamples=100&checkpointEvery=1&keepSaves=2';
  const other = await context.newPage();
  await Promise.all([openTandem(page, url), openTandem(other, `${url}&seed=2`)]);
  // Both at once: each save takes the Web Lock, so one tab's pruning never meets the other's write.
  await Promise.all([finishRun(page, 1), finishRun(other, 1)]);
  const ids = [(await exportedCheckpoint(page)).runId, (await exportedCheckpoint(other)).runId];
  expect(ids[0]).not.toBe(ids[1]);
  const saves = await storedSaves(page);
  for (const id of ids) expect(saves.filter(([k]) => (JSON.parse(k) as [string])[0] === id)).toHaveLength(2);
  await other.close();

  await page.reload();
  await page.waitForFunction(() => window.tandem !== undefined);
  const banner = page.getByRole('region', { name: 'Saved runs' });
  await expect(banner.getByRole('listitem')).toHaveCount(2);
  for (const id of ids) await expect(banner.getByRole('button', { name: `Resume saved run ${id.slice(0, 8)}` })).toBeVisible();
});

test('an import while a run is active is refused and stores nothing', async ({ page }) => {
  await openTandem(page, '/?workers=wasm:1&tauFast=2&maxRounds=2&evalSamples=100');
  await finishRun(page, 1);
  const fileRun = (await exportedCheckpoint(page)).runId;
  const bytes = await page.evaluate(() => Array.from(window.tandem.exportCheckpoint()));
  await page.evaluate(() => window.tandem.setConfig({ maxRounds: 400 }));
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect.poll(() => page.evaluate(() => window.tandem.phase()), { timeout: 60_000 }).toBe('training');
  // The running run may save meanwhile; the file's run must not change.
  const ofFileRun = async () => (await storedSaves(page)).filter(([k]) => (JSON.parse(k) as [string])[0] === fileRun);
  const before = await ofFileRun();
  expect(before.length).toBeGreaterThan(0);
  const refused = await page.evaluate(
    (b) => window.tandem.importCheckpoint(Uint8Array.from(b), 'mid-run.tandem').then(() => 'imported', (e: Error) => e.message),
    bytes,
  );
  expect(refused).toMatch(/^Checkpoint mid-run\.tandem was not imported: a run is active \(phase \w+\)\. Stop the run or let it finish, then import\.$/);
  expect(await ofFileRun()).toEqual(before);
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByRole('status').first()).toContainText(/finished \(stopped\)/, { timeout: 60_000 });
});

test('Download model writes the run chosen under "Run to export", named in its model.json', async ({ page }) => {
  await openTandem(page, '/?workers=wasm:1&tauFast=2&maxRounds=2&evalSamples=100&seed=1');
  await finishRun(page, 1);
  const run1 = await exportedCheckpoint(page);
  await page.evaluate(() => window.tandem.setConfig({ seed: 2, maxRounds: 3 }));
  await finishRun(page, 2);
  const run2 = await exportedCheckpoint(page);
  const bytesOf = (theta: Float32Array) => Buffer.from(theta.buffer, theta.byteOffset, theta.byteLength);
  expect(bytesOf(run1.theta).equals(bytesOf(run2.theta))).toBe(false);

  const downloadModel = async () => {
    const downloads: Download[] = [];
    const listener = (d: Download) => downloads.push(d);
    page.on('download', listener);
    await page.getByRole('button', { name: 'Download model' }).click();
    await expect.poll(() => downloads.length, { timeout: 60_000 }).toBe(2);
    page.off('download', listener);
    const [modelFile, weightsFile] = downloads as [Download, Download];
    expect(modelFile.suggestedFilename()).toBe('tandem-model.json');
    expect(weightsFile.suggestedFilename()).toBe('tandem-model.weights.bin');
    const model = JSON.parse(await readFile(await modelFile.path(), 'utf8')) as {
      weightsManifest: { paths: string[] }[];
      userDefinedMetadata: { tandem: { run: number; runId: string; round: number; config: { seed: number }; input: unknown; output: string } };
    };
    return { model, weights: await readFile(await weightsFile.path()) };
  };

  const exportChoice = page.getByRole('combobox', { name: 'Run to export' });
  await exportChoice.selectOption('0');
  await expect(exportChoice).toHaveValue('0');
  const first = await downloadModel();
  expect(first.weights.equals(bytesOf(run1.theta))).toBe(true);
  expect(first.model.userDefinedMetadata.tandem).toMatchObject({
    run: 1,
    runId: run1.runId,
    round: 2,
    config: { seed: 1 },
    input: { shape: [null, 28, 28, 1], dtype: 'float32', layout: 'NHWC', scale: '1/255' },
    output: 'logits',
  });

  await exportChoice.selectOption('1');
  const second = await downloadModel();
  expect(second.weights.equals(bytesOf(run2.theta))).toBe(true);
  expect(second.model.userDefinedMetadata.tandem).toMatchObject({ run: 2, runId: run2.runId, round: 3 });
});

/** A checkpoint file as version 1 wrote it (no run id, no checksum): an untrained fashion-mnist cnn at round 2. */
function versionOneFile(savedAt: string): Buffer {
  const theta = initialTheta(modelSpec('cnn', [28, 28, 1], 10), createRng(7));
  const losses = new Float32Array(60_000).fill(Number.POSITIVE_INFINITY);
  const config = validateConfig({ workers: 'wasm:1', tauFast: 2, maxRounds: 4, evalSamples: 100 });
  const header = {
    savedAt,
    config,
    datasetId: 'fashion-mnist',
    model: 'cnn',
    round: 2,
    trainMs: 1000,
    learningRate: config.learningRate,
    history: [],
    paramCount: theta.length,
    lossCount: losses.length,
  };
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((4 - (json.length % 4)) % 4, 0x20)]);
  const prefix = Buffer.alloc(12);
  prefix.write('TNDC', 0, 'latin1');
  prefix.writeUInt32LE(1, 4);
  prefix.writeUInt32LE(json.length, 8);
  return Buffer.concat([prefix, json, Buffer.from(theta.buffer), Buffer.from(losses.buffer)]);
}

test("a save from before version 2 is moved under its own run, listed and resumable, not lost", async ({ page }) => {
  // An empty page of this origin writes the database as version 1 left it: one save under the key 'latest'.
  await page.route('**/seed.html', (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>seed</title>' }));
  await page.goto('/seed.html');
  const savedAt = '2026-01-02T03:04:05.000Z';
  await page.evaluate(async (bytes) => {
    const request = indexedDB.open('tandem', 1);
    request.onupgradeneeded = () => request.result.createObjectStore('checkpoints');
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const tx = db.transaction('checkpoints', 'readwrite');
    tx.objectStore('checkpoints').put(Uint8Array.from(bytes), 'latest');
    await new Promise((resolve) => (tx.oncomplete = resolve));
    db.close();
  }, Array.from(versionOneFile(savedAt)));

  await openTandem(page, '/?workers=wasm:1');
  const banner = page.getByRole('region', { name: 'Saved runs' });
  await expect(banner.getByRole('listitem')).toHaveCount(1);
  await expect(banner).toContainText('A saved run can be resumed: biased on fashion-mnist, round 2, no accuracy measured yet');
  await expect(banner).toContainText('A version-1 file: it has no checksum');
  expect((await storedSaves(page)).map(([k]) => k)).toEqual([JSON.stringify([`v1-${savedAt}`, Date.parse(savedAt), 'v1'])]);

  await banner.getByRole('button', { name: 'Resume saved run' }).click();
  await expect(page.getByRole('list', { name: 'Engine messages' })).toContainText('Resumed at round 2', { timeout: 60_000 });
  await expect(page.getByRole('status').first()).toContainText(/finished \(round limit reached\)/, { timeout: 120_000 });
});

test('a saved run whose last loss was NaN resumes without breaking the page', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await openTandem(page, '/?workers=wasm:1&tauFast=2&maxRounds=2&evalSamples=100');
  await finishRun(page, 1);
  const c = await exportedCheckpoint(page);
  const last = c.history.at(-1);
  if (!last) throw new Error('the run has no history');
  last.loss = Number.NaN;
  const file = encodeCheckpoint({ ...c, runId: 'nan-loss-run', config: { ...c.config, maxRounds: 4 } });
  await page.getByLabel('Import checkpoint', { exact: true }).setInputFiles(binary('nan.tandem', Buffer.from(file)));
  await page.getByRole('button', { name: 'Resume saved run nan-loss' }).click();
  await expect(page.getByRole('list', { name: 'Engine messages' })).toContainText('Resumed at round 2', { timeout: 60_000 });
  await expect(page.getByRole('status').first()).toContainText(/Run #2 finished \(round limit reached\)/, { timeout: 120_000 });
  expect(errors).toEqual([]);
});
