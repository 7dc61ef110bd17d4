/**
 * The page's side of reliability and datasets, driven by role and name:
 * workers join and leave a run from the page and the run events say so; with
 * none left the run pauses and says so; a reloaded page offers the saved run
 * and resumes it above the saved round; checkpoint files export and import, a
 * foreign one refused by name; CIFAR-10 files picked from disk are trained
 * on, a malformed one refused by name.
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { openTandem } from './helpers';

test.describe.configure({ mode: 'serial' });

const readoutNumber = (page: Page, name: string) => async () =>
  Number.parseFloat((await page.getByRole('status', { name }).textContent()) ?? '');

/** CIFAR-10 batch bytes: `records` records of 3,073 bytes (label, then planar pixels), plus `extra` stray bytes. */
function cifarBatch(records: number, extra = 0): Buffer {
  const bytes = Buffer.alloc(records * 3073 + extra);
  for (let r = 0; r < records; r++) {
    const label = r % 10;
    bytes[r * 3073] = label;
    for (let p = 1; p < 3073; p++) bytes[r * 3073 + p] = (label * 25 + p) & 255;
  }
  return bytes;
}

const binary = (name: string, buffer: Buffer) => ({ name, mimeType: 'application/octet-stream', buffer });

test('workers join and leave from the page; a reloaded page resumes the saved run above its round', async ({ page }) => {
  await openTandem(page, '/?workers=wasm:1&tauFast=8&maxRounds=400&evalSamples=500&checkpointEvery=2');
  await expect(page.getByRole('button', { name: 'Add wasm worker' })).toBeDisabled();
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect.poll(readoutNumber(page, 'Round'), { timeout: 60_000 }).toBeGreaterThanOrEqual(1);

  const events = page.getByRole('list', { name: 'Run events' });
  await page.getByRole('button', { name: 'Add wasm worker' }).click();
  await expect(events).toContainText('worker 1 (wasm) joined', { timeout: 60_000 });
  await expect(page.getByRole('table', { name: 'Workers' }).getByRole('row')).toHaveCount(3);
  await page.getByRole('button', { name: 'Remove worker 0' }).click();
  await expect(events).toContainText('worker 0 (wasm) left: removed by request');
  await expect(page.getByRole('button', { name: 'Remove worker 0' })).toHaveCount(0);

  // With no worker left the run pauses with its model and says so; a worker added from the page goes on.
  await page.getByRole('button', { name: 'Remove worker 1' }).click();
  await expect(page.getByRole('status').first()).toContainText('No worker is left: the run is paused with its model intact');
  await page.getByRole('button', { name: 'Add wasm worker' }).click();
  // The pool reuses a free slot, so the newcomer's id is not known in advance.
  await expect(events.getByRole('listitem').filter({ hasText: /worker \d+ \(wasm\) joined/ })).toHaveCount(2, { timeout: 60_000 });
  await expect(page.getByRole('button', { name: /^Remove worker \d+$/ })).toHaveCount(1);
  await expect(page.getByRole('button', { name: /^Remove worker \d+$/ })).toBeEnabled();

  // A checkpoint every 2 rounds: a few rounds on, the saved one is past the pool changes.
  const changedAt = await readoutNumber(page, 'Round')();
  await expect.poll(readoutNumber(page, 'Round'), { timeout: 60_000 }).toBeGreaterThanOrEqual(changedAt + 3);
  await page.reload();

  const banner = page.getByRole('region', { name: 'Saved run' });
  await expect(banner).toContainText(/A saved run can be resumed: biased on fashion-mnist, round \d+, accuracy \d+\.\d%/);
  const text = (await banner.textContent()) ?? '';
  const savedRound = Number(/round (\d+)/.exec(text)?.[1]);
  const savedAccuracy = Number(/accuracy (\d+\.\d)%/.exec(text)?.[1]);
  expect(savedRound).toBeGreaterThan(changedAt);

  // Resuming puts the checkpoint's config back into the controls.
  const tauFast = page.getByRole('spinbutton', { name: 'tau_F (tauFast)' });
  await tauFast.fill('16');
  await page.getByRole('button', { name: 'Resume saved run' }).click();
  await expect(banner).toBeHidden();
  await expect(tauFast).toHaveValue('8');
  await expect(page.getByRole('list', { name: 'Engine messages' })).toContainText(`Resumed at round ${savedRound}`, { timeout: 60_000 });
  await expect.poll(readoutNumber(page, 'Round'), { timeout: 60_000 }).toBeGreaterThan(savedRound);
  // Same model: the first new evaluation is not back at chance.
  expect(await readoutNumber(page, 'Test accuracy')()).toBeGreaterThan(savedAccuracy - 10);
  // The run's history came back with it, pool changes included.
  await expect(events).toContainText('worker 1 (wasm) joined');

  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByRole('status').first()).toContainText(/finished \(stopped\)/, { timeout: 60_000 });
});

test('a foreign checkpoint file is refused by name; an exported checkpoint imports back', async ({ page }) => {
  await openTandem(page, '/?workers=wasm:1&tauFast=4&maxRounds=2&evalSamples=200');
  const importer = page.getByLabel('Import checkpoint', { exact: true });
  const banner = page.getByRole('region', { name: 'Saved run' });
  await importer.setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"not":"a checkpoint"}') });
  await expect(page.getByRole('alert').filter({ hasText: 'notes.json' })).toContainText(/notes\.json: starts with .* not a Tandem checkpoint/);
  await expect(banner).toBeHidden();

  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(page.getByRole('status').first()).toContainText(/finished \(round limit reached\)/, { timeout: 90_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export checkpoint' }).click()]);
  expect(download.suggestedFilename()).toBe('tandem-checkpoint.tandem');
  await importer.setInputFiles(binary('run.tandem', await readFile(await download.path())));
  await expect(banner).toContainText('A saved run can be resumed: biased on fashion-mnist, round 2');
  await expect(page.getByRole('button', { name: 'Resume saved run' })).toBeEnabled();
});

test('CIFAR-10 files picked from disk are accepted and trained on; a malformed one is refused by name', async ({ page }) => {
  await openTandem(page, '/?workers=wasm:1&tauFast=2&batchSize=16&maxRounds=2&evalSamples=100');
  const files = page.getByLabel('Dataset files', { exact: true });
  const dataset = page.getByRole('combobox', { name: 'Dataset (dataset)' });
  // Tandem cannot ship CIFAR-10: the dataset control suggests it only when its files are served.
  const served = await page.evaluate(async () => {
    const r = await fetch('/data/cifar10/test_batch.bin', { method: 'HEAD' });
    return r.ok && !(r.headers.get('content-type') ?? '').includes('text/html');
  });
  // Datalist options have no role until the list is open; the values are what is suggested.
  const suggested = () => page.locator('#cfg-dataset-list option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  await expect.poll(suggested).toEqual(served ? ['fashion-mnist', 'mnist', 'moby-dick', 'cifar10'] : ['fashion-mnist', 'mnist', 'moby-dick']);

  await files.setInputFiles([binary('data_batch_1.bin', cifarBatch(200)), binary('test_batch.bin', cifarBatch(50))]);
  await expect(dataset).toHaveValue(/^cifar10:local\/[0-9a-f]{8}\/$/);
  await expect(page.getByText(/Loaded CIFAR-10 from data_batch_1\.bin, test_batch\.bin: 200 training and 50 test images, 32x32x3/)).toBeVisible();
  const accepted = await dataset.inputValue();
  await expect.poll(suggested).toContain(accepted);

  // Two records and 5 stray bytes: refused by name; the accepted files stay the dataset.
  await files.setInputFiles([binary('data_batch_1.bin', cifarBatch(2, 5)), binary('test_batch.bin', cifarBatch(50))]);
  await expect(page.getByRole('alert').filter({ hasText: 'data_batch_1.bin' })).toContainText(
    /data_batch_1\.bin is 6151 bytes, not a multiple of the 3073-byte record.*the dataset is still cifar10:local\//,
  );
  await expect(dataset).toHaveValue(accepted);

  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(page.getByRole('status').first()).toContainText(/finished \(round limit reached\)/, { timeout: 120_000 });
  expect(await page.evaluate(() => window.tandem.runs().at(-1)?.config.dataset)).toBe(accepted);
});
