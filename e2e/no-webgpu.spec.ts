/**
 * Without a WebGPU adapter a webgpu worker falls back to the next backend
 * (and says why) or refuses, as the config's fallback policy says.
 */
import { expect, test } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumExecutable } from '../src/bench/chromium';
import { openTandem } from './helpers';

const executablePath = chromiumExecutable();
// Without this flag Chromium on Linux has no WebGPU adapter at all.
test.use({
  launchOptions: {
    ...(executablePath ? { executablePath } : {}),
    args: CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu'),
  },
});

test('a webgpu worker falls back to wasm and says why, or refuses', async ({ page }) => {
  await openTandem(page);
  const result = await page.evaluate(() =>
    window.tandem.run({ workers: 'webgpu:1' as never, fallback: 'fallback', maxRounds: 1, tauFast: 2, evalSamples: 200 }),
  );
  expect(result.workers[0]?.requested).toBe('webgpu');
  expect(result.workers[0]?.backend).toBe('wasm');
  const workers = await page.evaluate(() => window.tandem.workers());
  expect(workers[0]?.report.failures.join(' ')).toMatch(/^\[webgpu\] .+/);

  const refused = await page.evaluate(() =>
    window.tandem.run({ workers: 'webgpu:1' as never, fallback: 'refuse', maxRounds: 1 }).then(
      () => 'resolved',
      (e: Error) => e.message,
    ),
  );
  expect(refused).toMatch(/Worker 0 could not start backend webgpu \(fallback is off\): \[webgpu\]/);
});