/**
 * The trainer page on text: a moby-dick link trains the transformer, the
 * readouts speak of next characters and bits per character, the hardest
 * samples are windows of text, and "Watch it write" shows the model's
 * continuations; `window.tandem.generate` writes too. Choosing a dataset
 * brings the model that reads it, and a mismatched link is reported.
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { buildTextDataset } from '../src/data/text';
import { openTandem } from './helpers';

test.describe.configure({ mode: 'serial' });

const CONTEXT = 32;
const TEXT_RUN = `/?dataset=moby-dick&model=transformer&workers=wasm:2&maxRounds=3&contextLength=${CONTEXT}&evalSamples=500`;
/** A length other than the panel's default, so the sample shown is known to follow the control. */
const WRITE_LENGTH = 120;

/** The characters the page's moby-dick has, read with the loader's own code from the file it serves. */
async function mobyVocabulary(): Promise<Set<string>> {
  const bytes = new Uint8Array(await readFile('public/data/moby-dick.txt'));
  return new Set(buildTextDataset(bytes, { file: 'moby-dick.txt', name: 'moby-dick', contextLength: CONTEXT }).textInfo.vocabulary);
}

/** Characters of `text` (code points) that are not in `vocabulary`. */
const outside = (text: string, vocabulary: Set<string>) => [...text].filter((c) => !vocabulary.has(c));

const modelSelect = (page: Page) => page.getByRole('combobox', { name: 'Model (model)' });
const contextField = (page: Page) => page.getByRole('spinbutton', { name: 'Context (characters) (contextLength)' });

test('a moby-dick run: next-character accuracy, bits per character, text windows, and the model writes', async ({ page }) => {
  const vocabulary = await mobyVocabulary();
  await openTandem(page, TEXT_RUN);
  await expect(page.getByRole('alert')).toHaveCount(0);
  expect(await page.evaluate(() => window.tandem.config())).toMatchObject({
    dataset: 'moby-dick',
    model: 'transformer',
    contextLength: CONTEXT,
    maxRounds: 3,
    evalSamples: 500,
  });
  await expect(modelSelect(page)).toHaveValue('transformer');
  await expect(contextField(page)).toBeVisible();

  const writing = page.getByRole('region', { name: 'Watch it write' });
  await expect(writing).toBeVisible();
  await expect(writing.getByRole('textbox', { name: 'Prompt' })).toHaveValue('Call me Ishmael. ');
  await expect(writing.getByRole('spinbutton', { name: 'Temperature' })).toHaveValue('0.8');
  await expect(writing.getByRole('spinbutton', { name: 'Write every N rounds' })).toHaveValue('5');
  await writing.getByRole('spinbutton', { name: 'Length (characters)' }).fill(String(WRITE_LENGTH));

  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect.poll(() => page.evaluate(() => window.tandem.phase()), { timeout: 240_000 }).toBe('done');
  await expect(page.getByRole('status').first()).toContainText('Run #1 finished');

  // The accuracy chart has points: its description counts the evaluations.
  await expect(page.getByRole('figure', { name: /^Test accuracy/ })).toHaveAccessibleDescription(/Run #1: [1-9]\d* evaluations?, latest .*next-character accuracy/);
  await expect(page.getByRole('status', { name: 'Next-character accuracy' })).toHaveText(/^\d+\.\d%$/);
  await expect(page.getByRole('status', { name: 'Bits per character' })).toHaveText(/^\d+\.\d\d$/);
  await expect(page.locator('#readout-unigram')).toHaveText(/^unigram \d\.\d\d bits\/char$/);

  // Every 5 rounds does not fall in 3, so the sample is the one written at the end.
  const continuations = writing.locator('.write-sample .continuation');
  await expect(continuations).toHaveCount(1, { timeout: 60_000 });
  const written = (await continuations.first().textContent()) ?? '';
  expect([...written]).toHaveLength(WRITE_LENGTH);
  expect(outside(written, vocabulary)).toEqual([]);
  await expect(writing.locator('.write-meta').first()).toContainText(/Run #1, round 3 · temperature 0.8 · 120 characters/);

  // Write now adds to the history, newest first.
  await writing.getByRole('button', { name: 'Write now' }).click();
  await expect(continuations).toHaveCount(2, { timeout: 60_000 });
  await expect(writing.getByRole('status')).toContainText(`Wrote ${WRITE_LENGTH} characters`);

  // The hardest samples are windows of text: contextLength + 1 characters, marked whitespace taking one column each.
  const windows = page.locator('#hardest .text-sample');
  await expect.poll(() => windows.count(), { timeout: 30_000 }).toBeGreaterThan(0);
  await expect(page.locator('#hardest canvas')).toHaveCount(0);
  const snippet = (await windows.first().locator('.snippet').textContent()) ?? '';
  expect([...snippet.replace(/⟨[^⟩]*⟩/g, '?')]).toHaveLength(CONTEXT + 1);
  await expect(windows.first()).toHaveAccessibleName(/^Training window \d+, loss \d+\.\d\d: /);

  // The API writes with the same model, and refuses a bad request by field.
  const out = await page.evaluate(() => window.tandem.generate({ prompt: 'Call me Ishmael. ', length: 50, temperature: 0.8, seed: 1 }));
  expect([...out.text]).toHaveLength(50);
  expect(outside(out.text, vocabulary)).toEqual([]);
  expect(out.round).toBe(3);
  const refusal = (request: unknown) =>
    page.evaluate((r) => window.tandem.generate(r as never).then(() => 'accepted', (e: Error) => e.message), request);
  expect(await refusal({ prompt: 'Call', length: 0, temperature: 1 })).toMatch(/^Invalid length: 0\. Allowed: an integer from 1 to 1000/);
  expect(await refusal({ prompt: 'Call', length: 10, temperature: 9 })).toMatch(/^Invalid temperature: 9\. Allowed: a number in \(0, 5\]/);
  expect(await refusal({ prompt: 'x'.repeat(1001), length: 10, temperature: 1 })).toMatch(/^Invalid prompt: .*1000 characters/);
});

test('choosing a dataset brings its model; a mismatched link is reported', async ({ page }) => {
  await openTandem(page, '/?dataset=moby-dick&model=cnn');
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('Invalid model: "cnn". Allowed: transformer for the text dataset moby-dick. Using transformer');
  await expect(modelSelect(page)).toHaveValue('transformer');

  const dataset = page.getByRole('combobox', { name: 'Dataset (dataset)' });
  const writing = page.getByRole('region', { name: 'Watch it write' });
  await dataset.fill('mnist');
  await expect(modelSelect(page)).toHaveValue('cnn');
  await expect(contextField(page)).toBeHidden();
  await expect(writing).toBeHidden();
  await expect(page).toHaveURL(/[?&]dataset=mnist&model=cnn(&|$)/);

  await dataset.fill('moby-dick');
  await expect(modelSelect(page)).toHaveValue('transformer');
  await expect(contextField(page)).toBeVisible();
  await expect(writing).toBeVisible();
  await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeEnabled();

  // A model the dataset cannot take is refused at the control and keeps Start disabled.
  await modelSelect(page).selectOption('mlp');
  await expect(modelSelect(page)).toHaveAccessibleDescription(/Invalid model: "mlp"\. Allowed: transformer for the text dataset moby-dick/);
  await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeDisabled();
  // Choosing an image dataset brings an image model and clears the refusal.
  await dataset.fill('fashion-mnist');
  await expect(modelSelect(page)).toHaveValue('cnn');
  await expect(modelSelect(page)).not.toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeEnabled();
});
