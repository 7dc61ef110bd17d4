/**
 * The trainer page driven as a person would, by role and accessible name:
 * configure, train past 70%, pause, resume, stop, export; a bad URL
 * parameter is named; the page fits a phone's width and a 1280x800 screen.
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Download, type Page } from '@playwright/test';
import { openTandem } from './helpers';

test.describe.configure({ mode: 'serial' });

async function readDownload(download: Download): Promise<string> {
  return readFile(await download.path(), 'utf8');
}

const readoutNumber = (page: Page, name: string) => async () =>
  Number.parseFloat((await page.getByRole('status', { name }).textContent()) ?? '');

test('set tau_F and the pool, train past 70%, pause, resume, stop and export', async ({ page }) => {
  await openTandem(page);
  const tauFast = page.getByRole('spinbutton', { name: 'tau_F (tauFast)' });
  const start = page.getByRole('button', { name: 'Start', exact: true });

  // A refused value is explained at the control and keeps Start disabled.
  await tauFast.fill('0');
  await expect(tauFast).toHaveAttribute('aria-invalid', 'true');
  await expect(tauFast).toHaveAccessibleDescription(/Invalid tauFast: 0\. Allowed: an integer from 1 to 4096/);
  await expect(start).toBeDisabled();

  await tauFast.fill('16');
  await page.getByRole('spinbutton', { name: 'webgpu workers (workers)' }).fill('0');
  await page.getByRole('spinbutton', { name: 'wasm workers (workers)' }).fill('2');
  await expect(tauFast).not.toHaveAttribute('aria-invalid', 'true');
  await expect(page).toHaveURL(/[?&]tauFast=16(&|$)/);
  await expect(page).toHaveURL(/[?&]workers=wasm:2(&|$)/);
  expect(await page.evaluate(() => window.tandem.config())).toMatchObject({ tauFast: 16, workers: [{ backend: 'wasm', count: 2 }] });

  await expect(start).toBeEnabled();
  await start.click();

  // The accuracy chart gains points: its description counts the evaluations.
  const accuracyChart = page.getByRole('figure', { name: /^Test accuracy/ });
  await expect(accuracyChart).toHaveAccessibleDescription(/Run #1: [1-9]\d* evaluations?/, { timeout: 60_000 });
  const evaluations = async () =>
    Number(/(\d+) evaluation/.exec((await accuracyChart.getByText(/evaluation/).textContent()) ?? '')?.[1] ?? 0);
  const first = await evaluations();
  await expect.poll(evaluations, { timeout: 60_000 }).toBeGreaterThan(first);
  await expect.poll(readoutNumber(page, 'Test accuracy'), { timeout: 90_000 }).toBeGreaterThan(70);

  await page.getByRole('button', { name: 'Pause' }).click();
  const status = page.getByRole('status').first();
  await expect(status).toContainText(/Paused after round \d+/);
  const pausedAt = Number(/round (\d+)/.exec((await status.textContent()) ?? '')?.[1]);
  await expect(page.getByRole('status', { name: 'Round' })).toHaveText(String(pausedAt));
  await expect(page.getByRole('button', { name: 'Pause' })).toBeDisabled();
  expect(await page.evaluate(() => window.tandem.phase())).toBe('paused');

  await page.getByRole('button', { name: 'Resume' }).click();
  await expect.poll(readoutNumber(page, 'Round'), { timeout: 60_000 }).toBeGreaterThan(pausedAt);

  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(status).toContainText(/Run #1 finished \(stopped\) after \d+ rounds/, { timeout: 60_000 });
  const rounds = Number(await page.getByRole('status', { name: 'Round' }).textContent());
  await expect(page.getByRole('table', { name: 'Finished runs' }).getByRole('row')).toHaveCount(2);

  await expect(page.getByRole('combobox', { name: 'Run to export' })).toHaveValue('0');
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  expect(json.suggestedFilename()).toBe('tandem-run-1-biased.json');
  const run = JSON.parse(await readDownload(json)) as { rounds: number; history: unknown[]; events: { round: number }[]; config: { tauFast: number } };
  expect(run.rounds).toBe(rounds);
  expect(run.history).toHaveLength(rounds);
  expect(run.events.map((e) => e.round)).toEqual(Array.from({ length: rounds }, (_, i) => i + 1));
  expect(run.config.tauFast).toBe(16);

  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  const lines = (await readDownload(csv)).trimEnd().split('\n');
  expect(lines).toHaveLength(rounds + 1);
  expect(lines[0]).toContain('w1_wasm_idleMs');

  // Stop keeps the trained model: model.json and its weights file in the tfjs layers format.
  const downloads: Download[] = [];
  page.on('download', (d) => downloads.push(d));
  await page.getByRole('button', { name: 'Download model' }).click();
  await expect.poll(() => downloads.length).toBe(2);
  const [modelFile, weightsFile] = downloads as [Download, Download];
  expect(modelFile.suggestedFilename()).toBe('tandem-model.json');
  expect(weightsFile.suggestedFilename()).toBe('tandem-model.weights.bin');
  const model = JSON.parse(await readDownload(modelFile)) as { format: string; weightsManifest: { paths: string[]; weights: { shape: number[] }[] }[] };
  expect(model.format).toBe('layers-model');
  expect(model.weightsManifest[0]?.paths).toEqual(['tandem-model.weights.bin']);
  const params = model.weightsManifest[0]?.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0) ?? 0;
  expect((await readFile(await weightsFile.path())).byteLength).toBe(params * 4);
});

test('a bad URL parameter is named and replaced by its default; the rest is kept', async ({ page }) => {
  await openTandem(page, '/?tauFast=0&algo=sync&workers=wasm:1&bogus=1');
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('Invalid tauFast: 0');
  await expect(alert).toContainText('Using the default, 32');
  await expect(alert).toContainText('bogus');
  await expect(page.getByRole('spinbutton', { name: 'tau_F (tauFast)' })).toHaveValue('32');
  await expect(page.getByRole('combobox', { name: 'Algorithm (algo)' })).toHaveValue('sync');
  await expect(page.getByRole('spinbutton', { name: 'wasm workers (workers)' })).toHaveValue('1');
  await expect(page.getByRole('spinbutton', { name: 'webgpu workers (workers)' })).toHaveValue('0');
  await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeEnabled();

  // Scripts set the config through the same store: the controls and the URL follow.
  await page.evaluate(() => window.tandem.setConfig({ tauFast: 12 }));
  await expect(page.getByRole('spinbutton', { name: 'tau_F (tauFast)' })).toHaveValue('12');
  await expect(page).toHaveURL(/[?&]tauFast=12(&|$)/);
  const refused = await page.evaluate(() => {
    try {
      window.tandem.setConfig({ lambda: 2 });
      return 'accepted';
    } catch (e) {
      return (e as Error).message;
    }
  });
  expect(refused).toContain('lambda');
});

for (const [name, width, height] of [
  ['a phone', 390, 844],
  ['a 1280x800 laptop', 1280, 800],
] as const) {
  test(`${name} screen has no horizontal scroll and shows the run controls without scrolling sideways, before and after a run`, async ({ page }) => {
    await page.setViewportSize({ width, height });
    await openTandem(page, '/?workers=wasm:1&tauFast=4&maxRounds=2&evalSamples=500');
    const fits = async () => {
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 'horizontal overflow in px').toBeLessThanOrEqual(0);
      for (const control of ['Start', 'Pause', 'Resume', 'Stop']) {
        const box = await page.getByRole('button', { name: control, exact: true }).boundingBox();
        expect(box, `${control} is laid out`).not.toBeNull();
        expect(box?.x ?? -1, `${control}'s left edge`).toBeGreaterThanOrEqual(0);
        expect((box?.x ?? 0) + (box?.width ?? Number.POSITIVE_INFINITY), `${control}'s right edge`).toBeLessThanOrEqual(width);
      }
    };
    await fits();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect(page.getByRole('status').first()).toContainText(/finished \(round limit reached\)/, { timeout: 90_000 });
    await expect(page.getByRole('figure', { name: /^Test accuracy/ })).toHaveAccessibleDescription(/1 finished run shown/);
    await fits();
  });
}

test('the accuracy and loss charts draw every finished run on its own times, each in its legend colour', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await openTandem(page, '/?workers=wasm:1&tauFast=4&maxRounds=3&evalSamples=500&evalEvery=1');
  for (const seed of [1, 2]) await page.evaluate((s) => window.tandem.run({ ...window.tandem.config(), seed: s }), seed);
  await expect(page.getByRole('figure', { name: /^Test accuracy/ })).toHaveAccessibleDescription(/2 finished runs shown/);
  for (const name of [/^Test accuracy/, /^Train loss/]) {
    const figure = page.getByRole('figure', { name });
    // The legend names both runs; each marker's colour must appear on the canvas, where its line is.
    const drawn = await figure.evaluate((el) => {
      const markers = [...el.querySelectorAll<HTMLElement>('.u-legend .u-series .u-marker')].map((m) => getComputedStyle(m).borderColor);
      const canvas = el.querySelector('canvas');
      const ctx = canvas?.getContext('2d');
      if (!canvas || !ctx) return { markers, found: [] as boolean[] };
      const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      const rgb = (css: string) => (css.match(/\d+/g) ?? []).slice(0, 3).map(Number);
      const found = markers.map((css) => {
        const [r = -1, g = -1, b = -1] = rgb(css);
        for (let i = 0; i < pixels.length; i += 4) {
          if (Math.abs((pixels[i] ?? 0) - r) + Math.abs((pixels[i + 1] ?? 0) - g) + Math.abs((pixels[i + 2] ?? 0) - b) < 24 && (pixels[i + 3] ?? 0) > 200) return true;
        }
        return false;
      });
      return { markers, found };
    });
    expect(drawn.markers, `${String(name)} legend markers`).toHaveLength(2);
    expect(drawn.found, `${String(name)}: each run's colour on the canvas`).toEqual([true, true]);
  }
  expect(errors, 'page errors').toEqual([]);
});
