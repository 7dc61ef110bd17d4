/**
 * The language task in the browser: a transformer learns Moby-Dick on a
 * WebGPU worker and two WASM workers at once (the embedding's gradient needs
 * the UnsortedSegmentSum kernel Tandem registers for wasm), and writes.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { buildTextDataset } from '../src/data/text';
import { openTandem } from './helpers';

/** The installed text as the page loads it, read here for its vocabulary and its training split's unigram entropy. */
const { textInfo } = buildTextDataset(new Uint8Array(readFileSync('public/data/moby-dick.txt')), { file: 'moby-dick.txt', name: 'moby-dick', contextLength: 32 });

test('a short biased run on webgpu + 2 wasm brings bits per character below the unigram entropy, then writes', async ({ page }) => {
  test.setTimeout(600_000);
  await openTandem(page);
  const result = await page.evaluate(() =>
    window.tandem.run({
      dataset: 'moby-dick',
      model: 'transformer',
      contextLength: 32,
      workers: 'webgpu:1,wasm:2',
      parking: 'off',
      algo: 'biased',
      warmupSteps: 0,
      profileSteps: 1,
      evalSamples: 300,
      targetAccuracy: null,
      maxRounds: 6,
      maxSeconds: 400,
    } as never),
  );
  expect(result.stoppedBy).toBe('rounds');
  expect(result.workers.map((w) => w.backend).sort()).toEqual(['wasm', 'wasm', 'webgpu']);
  expect(result.workers.every((w) => w.left === null)).toBe(true);
  const bits = (result.finalLoss ?? Infinity) / Math.LN2;
  const unigram = textInfo.unigramBitsPerChar;
  expect(bits, `bits per character ${bits.toFixed(3)} against the unigram ${unigram.toFixed(3)}`).toBeLessThan(unigram);

  const vocabulary = new Set(textInfo.vocabulary);
  const written = await page.evaluate(() => window.tandem.generate({ prompt: 'Call me Ishmael. ', length: 120, temperature: 0.8 }));
  expect([...written.text]).toHaveLength(120);
  expect([...written.text].every((c) => vocabulary.has(c))).toBe(true);
  expect(written.round).toBe(6);
});
