/**
 * The Sweep panel driven as a person would: a sweep from the URL waits in
 * the panel, runs from Run sweep, fills its table (the best row marked,
 * sortable), puts each trial's curve on the accuracy chart and exports CSV
 * and JSON; Stop ends a 3-trial sweep after the trial it stops. Tiny
 * trials (one WASM worker, two rounds, a low target) keep it short.
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Download, type Page } from '@playwright/test';
import { bestTrial, type SweepFile } from '../src/sweep/records';
import { openTandem } from './helpers';

test.describe.configure({ mode: 'serial' });

const TINY = 'workers=wasm:1&parking=off&maxRounds=2&evalSamples=200&targetAccuracy=0.3';

async function readDownload(download: Download): Promise<string> {
  return readFile(await download.path(), 'utf8');
}

const sweepPanel = (page: Page) => page.getByRole('region', { name: 'Sweep', exact: true });

test('a sweep from the URL runs from the panel: a row per trial, the best marked, curves, CSV and JSON', async ({ page }) => {
  await openTandem(page, `/?${TINY}&sweepGrid=tauFast=8,16&sweepSeeds=1`);
  const panel = sweepPanel(page);
  await expect(panel.getByRole('combobox', { name: 'Sweep key 1', exact: true })).toHaveValue('tauFast');
  await expect(panel.getByRole('textbox', { name: 'Sweep key 1 values' })).toHaveValue('8,16');
  await expect(panel.getByRole('textbox', { name: 'Sweep seeds' })).toHaveValue('1');
  await expect(panel.getByRole('checkbox', { name: 'Sweep algorithm: biased' })).toBeChecked();
  await expect(panel.getByText('2 trials: 2 settings x 1 algorithm x 1 seed.')).toBeVisible();
  // Read into the panel, not started.
  expect(await page.evaluate(() => window.tandem.sweepResults())).toBeNull();
  expect(await page.evaluate(() => window.tandem.phase())).toBe('idle');

  const run = panel.getByRole('button', { name: 'Run sweep' });
  await expect(run).toBeEnabled();
  await run.click();
  const progress = panel.getByRole('status');
  await expect(progress).toContainText(/of 2 trials done; trial 1 running: biased seed=1 tauFast=8\. Time left: estimating…/);
  await expect(page.getByRole('status').first()).toContainText('Sweep trial 1 of 2 (biased seed=1 tauFast=8)');
  await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeDisabled();
  await expect(progress).toContainText('Sweep finished: 2 of 2 trials done', { timeout: 120_000 });

  const file = (await page.evaluate(() => window.tandem.sweepResults())) as SweepFile;
  expect(file.trials.map((t) => [t.id, t.failure, t.where?.browser])).toEqual([
    ['biased seed=1 tauFast=8', null, 'this page'],
    ['biased seed=1 tauFast=16', null, 'this page'],
  ]);
  expect(file.base).toMatchObject({ maxRounds: 2, evalSamples: 200, targetAccuracy: 0.3 });

  const table = panel.getByRole('table', { name: 'Sweep results' });
  const rows = table.getByRole('row');
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(1).getByRole('rowheader')).toContainText('#1');
  await expect(rows.nth(1).getByRole('cell').first()).toHaveText('8');
  await expect(rows.nth(2).getByRole('cell').first()).toHaveText('16');
  // The best trial by records.ts's rule, and only it, is marked, in its row header.
  const best = bestTrial(file.trials);
  expect(best).not.toBeNull();
  await expect(table.getByRole('rowheader').filter({ hasText: 'best' })).toHaveCount(1);
  await expect(table.getByRole('rowheader').filter({ hasText: 'best' })).toContainText(`#${(best?.index ?? 0) + 1}`);

  // Sorting by final accuracy, highest first.
  await table.getByRole('button', { name: 'Final accuracy' }).click();
  await expect(table.getByRole('columnheader', { name: 'Final accuracy' })).toHaveAttribute('aria-sort', 'descending');
  const byAccuracy = [...file.trials].sort((a, b) => (b.summary?.finalAccuracy ?? 0) - (a.summary?.finalAccuracy ?? 0) || a.index - b.index);
  await expect(rows.nth(1).getByRole('rowheader')).toContainText(`#${(byAccuracy[0]?.index ?? 0) + 1}`);
  await table.getByRole('button', { name: 'Final accuracy' }).click();
  await expect(table.getByRole('columnheader', { name: 'Final accuracy' })).toHaveAttribute('aria-sort', 'ascending');
  await expect(rows.nth(1).getByRole('rowheader')).toContainText(`#${(byAccuracy[1]?.index ?? 0) + 1}`);

  // Each trial's curve on the accuracy chart, labelled by its settings.
  const accuracyChart = page.getByRole('figure', { name: /^Test accuracy/ });
  await expect(accuracyChart).toContainText('#1 biased seed=1 tauFast=8');
  await expect(accuracyChart).toContainText('#2 biased seed=1 tauFast=16');

  const [csv] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: 'Export sweep CSV' }).click()]);
  expect(csv.suggestedFilename()).toBe('tandem-sweep.csv');
  const lines = (await readDownload(csv)).trimEnd().split('\n');
  expect(lines).toHaveLength(3);
  expect(lines[0]).toMatch(/^trial,algo,seed,tauFast,time_to_target_train_s,/);
  expect(lines[1]).toMatch(/^1,biased,1,8,/);
  expect(lines[2]).toMatch(/^2,biased,1,16,/);

  const [json] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: 'Export sweep JSON' }).click()]);
  expect(json.suggestedFilename()).toBe('tandem-sweep.json');
  const exported = JSON.parse(await readDownload(json)) as SweepFile;
  expect(exported).toMatchObject({ kind: 'tandem-sweep', version: 1, targetAccuracy: 0.3 });
  expect(exported.trials.map((t) => t.id)).toEqual(file.trials.map((t) => t.id));
  expect(exported.trials[0]?.result?.history.length).toBeGreaterThan(0);

  // The sweep stays in the URL and its results until cleared.
  await expect(page).toHaveURL(/[?&]sweepGrid=tauFast=8,16(&|$)/);
  await panel.getByRole('button', { name: 'Clear sweep results' }).click();
  await expect(rows).toHaveCount(0);
  expect(await page.evaluate(() => window.tandem.sweepResults())).toBeNull();
});

test('Stop ends a 3-trial sweep after the trial it stops; a refused sweep parameter is named', async ({ page }) => {
  await openTandem(page, '/?workers=wasm:1&parking=off&evalSamples=200&targetAccuracy=none&maxRounds=500&sweepGrid=tauFast=4,8,16&sweepAlgos=biased,fast');
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('sweepAlgos');
  await expect(alert).toContainText('"fast" is no algorithm. Allowed: one or more of biased, local, sync, fast-only');
  const panel = sweepPanel(page);
  await expect(panel.getByText('3 trials: 3 settings x 1 algorithm x 1 seed.')).toBeVisible();

  await panel.getByRole('button', { name: 'Run sweep' }).click();
  await expect.poll(() => page.evaluate(() => window.tandem.phase()), { timeout: 60_000 }).toBe('training');
  await expect(panel.getByRole('button', { name: 'End sweep after this trial' })).toBeEnabled();
  await page.getByRole('button', { name: 'Stop', exact: true }).click();

  const progress = panel.getByRole('status');
  await expect(progress).toContainText('Sweep ended after 1 of 3 trials', { timeout: 60_000 });
  const rows = panel.getByRole('table', { name: 'Sweep results' }).getByRole('row');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1)).toContainText('stopped');
  const file = (await page.evaluate(() => window.tandem.sweepResults())) as SweepFile;
  expect(file.trials.map((t) => [t.id, t.summary?.stoppedBy])).toEqual([['biased seed=1 tauFast=4', 'user']]);
  // No second trial started: the engine stays idle.
  expect(await page.evaluate(() => window.tandem.phase())).toBe('done');
  await expect(panel.getByRole('button', { name: 'Run sweep' })).toBeEnabled();
});
