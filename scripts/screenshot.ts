/**
 * Makes docs/screenshot.png for the README: the trainer page at 1280x800 in
 * the middle of a biased run, with a short sync run before it on the charts
 * for comparison. Not part of `npm test`; run by hand: npx tsx scripts/screenshot.ts
 * Optional: SCREENSHOT_EXTRA=/tmp writes a full-page and a phone-width image there too.
 */
import { chromium, type Page } from '@playwright/test';
import { createServer } from 'vite';
import { CHROMIUM_ARGS, chromiumExecutable } from '../src/bench/chromium';
import '../src/tandem-global.d';

const PORT = 4319;
const OUT = 'docs/screenshot.png';
/** Rounds of the biased run before the picture: enough for the timeline and the tau chart to show a pattern. */
const ROUNDS_BEFORE_SHOT = 10;

const server = await createServer({ server: { port: PORT, strictPort: true }, logLevel: 'warn' });
await server.listen();
const executablePath = chromiumExecutable();
const browser = await chromium.launch({ headless: true, args: [...CHROMIUM_ARGS], ...(executablePath ? { executablePath } : {}) });

async function round(page: Page): Promise<number> {
  return Number((await page.getByRole('status', { name: 'Round' }).textContent()) ?? 0) || 0;
}

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => console.error(`[pageerror] ${e.message}`));
  await page.goto(`http://localhost:${PORT}/?workers=webgpu:1,wasm:2&tauFast=64&evalSamples=1000&algo=sync&maxRounds=2`);
  await page.waitForFunction(() => window.tandem !== undefined);
  await page.evaluate(() => window.tandem.ready());
  const start = page.getByRole('button', { name: 'Start', exact: true });
  await start.click();
  await page.getByRole('status').first().filter({ hasText: /finished/ }).waitFor({ timeout: 300_000 });

  await page.getByRole('combobox', { name: 'Algorithm (algo)' }).selectOption('biased');
  await page.getByRole('spinbutton', { name: 'Max rounds (maxRounds)' }).fill('');
  await start.click();
  await page.waitForFunction(
    (n) => Number(document.querySelector('#readout-round')?.textContent) >= n,
    ROUNDS_BEFORE_SHOT,
    { timeout: 300_000, polling: 500 },
  );
  console.log(`round ${await round(page)}: writing ${OUT}`);
  await page.screenshot({ path: OUT });
  const extra = process.env['SCREENSHOT_EXTRA'];
  if (extra) {
    await page.screenshot({ path: `${extra}/tandem-full.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    for (let y = 0, i = 0; y < height; y += 1400, i++) {
      await page.screenshot({ path: `${extra}/tandem-phone-${i}.png`, fullPage: true, clip: { x: 0, y, width: 390, height: Math.min(1400, height - y) } });
    }
    console.log('phone fits:', await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  }
  await page.getByRole('button', { name: 'Stop' }).click();
} finally {
  await browser.close();
  await server.close();
}
