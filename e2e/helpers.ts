/** Shared steps for the end-to-end specs: open the page and wait until `window.tandem` is ready. */
import type { Page } from '@playwright/test';
import '../src/tandem-global.d';

export async function openTandem(page: Page, path = '/'): Promise<void> {
  page.on('pageerror', (e) => console.error(`[pageerror] ${e.message}`));
  await page.goto(path);
  await page.waitForFunction(() => window.tandem !== undefined);
  await page.evaluate(() => window.tandem.ready());
}
