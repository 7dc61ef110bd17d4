/**
 * The transformer's gradient on the WebGPU backend against the cpu backend,
 * in the browser (the wasm backend's is checked in Node, in
 * src/backends/wasm-kernels/kernels.test.ts). The check is bundled with
 * esbuild and served as a blank page of the app's origin, so WebGPU is there
 * and nothing of the Tandem page runs beside it.
 */
import { build } from 'esbuild';
import { expect, test } from '@playwright/test';
import type { Difference, GradientCase } from './fixtures/transformer-gradients';

/** As the wasm kernel tests: float32 sums of thousands of terms in another order. */
const REL_TOL = 1e-4;

async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: ['e2e/fixtures/transformer-gradients.ts'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const file = out.outputFiles[0];
  if (!file) throw new Error('esbuild wrote no bundle');
  return file.text;
}

const CASES: { name: string; c: GradientCase }[] = [
  { name: 'a small transformer (vocab 13, context 8, 2 blocks of dModel 16)', c: { shape: { vocab: 13, contextLength: 8, layers: 2, dModel: 16, heads: 4, mlpWidth: 32 }, batch: 3, seed: 3 } },
  { name: 'the default transformer (vocab 89, context 64)', c: { shape: { vocab: 89, contextLength: 64 }, batch: 4, seed: 5 } },
];

test('the transformer’s loss, logits and every parameter gradient on webgpu match the cpu backend within 1e-4 relative', async ({ page }) => {
  test.setTimeout(300_000);
  const script = await bundle();
  await page.route('**/gradient-check.html', (route) =>
    route.fulfill({ contentType: 'text/html', body: `<!doctype html><meta charset="utf-8"><script type="module">${script.replace(/<\/script/gi, '<\\/script')}</script>` }),
  );
  page.on('pageerror', (e) => console.error(`[pageerror] ${e.message}`));
  await page.goto('/gradient-check.html');
  await page.waitForFunction(() => window.compareTransformerGradients !== undefined);
  const adapter = await page.evaluate(async () => (await navigator.gpu?.requestAdapter()) !== null);
  expect(adapter, 'a WebGPU adapter (see ENVIRONMENT in the README for the launch flags)').toBe(true);
  for (const { name, c } of CASES) {
    const diffs: Difference[] = await page.evaluate((arg) => window.compareTransformerGradients!(arg), c);
    expect(diffs.length, name).toBeGreaterThan(2);
    const worst = diffs.reduce((w, d) => (d.err / d.scale > w.err / w.scale ? d : w));
    test.info().annotations.push({ type: 'largest relative error', description: `${name}: ${worst.label} ${(worst.err / worst.scale).toExponential(2)}` });
    for (const d of diffs) {
      expect(d.finite, `${name}: ${d.label} has non-finite values`).toBe(true);
      expect(d.err, `${name}: ${d.label} max abs error ${d.err} vs max |cpu| ${d.scale}`).toBeLessThanOrEqual(REL_TOL * d.scale);
    }
  }
});
