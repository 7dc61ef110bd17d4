/**
 * Without WebAssembly SIMD a wasm worker falls back to the cpu backend (and
 * says why) or refuses. Chromium always has SIMD, so the test serves the
 * capability probe's module with its SIMD test bytes broken: every context
 * (page and workers) then detects no SIMD, as an old browser would.
 */
import { expect, test } from '@playwright/test';
import { openTandem } from './helpers';

test('a wasm worker without SIMD falls back to cpu, or refuses, and the page says so', async ({ page }) => {
  await page.route(/\.(js|ts)(\?.*)?$/, async (route) => {
    const response = await route.fetch();
    const body = await response.text();
    // The SIMD probe's v128 instructions (0xfd ...) become an unknown opcode.
    const broken = body.replace(/253,\s*15,\s*253,\s*98,\s*11/g, (m) => m.replace(/253/g, '254'));
    await route.fulfill({ response, body: broken });
  });
  await openTandem(page);
  expect((await page.evaluate(() => window.tandem.environment())).wasmSimd).toBe(false);
  await expect(page.locator('#machine')).toContainText(/WebAssembly SIMD\s*No/i);

  const result = await page.evaluate(() =>
    window.tandem.run({ workers: 'wasm:1' as never, fallback: 'fallback', maxRounds: 1, tauFast: 2, evalSamples: 100 }),
  );
  expect(result.workers[0]).toMatchObject({ requested: 'wasm', backend: 'cpu' });
  const workers = await page.evaluate(() => window.tandem.workers());
  expect(workers[0]?.report.failures.join(' ')).toContain('[wasm] WebAssembly SIMD is not supported here');

  const refused = await page.evaluate(() =>
    window.tandem.run({ workers: 'wasm:1' as never, fallback: 'refuse', maxRounds: 1 }).then(
      () => 'resolved',
      (e: Error) => e.message,
    ),
  );
  expect(refused).toMatch(/Worker 0 could not start backend wasm \(fallback is off\): \[wasm\] WebAssembly SIMD is not supported/);
});
