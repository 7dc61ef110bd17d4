/** Shared steps for the end-to-end specs: open the page and wait until `window.tandem` is ready; read checkpoints. */
import type { Page } from '@playwright/test';
import { decodeCheckpoint, type Checkpoint } from '../src/checkpoint/format';
import '../src/tandem-global.d';

export async function openTandem(page: Page, path = '/'): Promise<void> {
  page.on('pageerror', (e) => console.error(`[pageerror] ${e.message}`));
  await page.goto(path);
  await page.waitForFunction(() => window.tandem !== undefined);
  await page.evaluate(() => window.tandem.ready());
}

/** The current or last run's checkpoint (`tandem.exportCheckpoint()`), read with the format's own reader. */
export async function exportedCheckpoint(page: Page): Promise<Checkpoint> {
  const base64 = await page.evaluate(() => {
    const bytes = window.tandem.exportCheckpoint();
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  });
  return decodeCheckpoint('exported checkpoint', new Uint8Array(Buffer.from(base64, 'base64')));
}
