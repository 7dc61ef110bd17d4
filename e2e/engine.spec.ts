/**
 * The engine end to end in headless Chromium on the WebGPU adapter (SwiftShader
 * here): a biased run on 1 webgpu + 2 wasm workers learns Fashion-MNIST, every
 * worker runs the backend it was given, tensors do not leak, and synchronous
 * SGD makes the fast worker wait where biased local SGD does not.
 */
import { expect, test } from '@playwright/test';
import type { RoundEvent, RunResult } from '../src/protocol';
import { openTandem } from './helpers';

test.describe.configure({ mode: 'serial' });

function idleShareOfFastest(result: RunResult): number {
  const fastest = result.workers.reduce((a, b) => (b.stepMs < a.stepMs ? b : a));
  return fastest.idleMs / (fastest.busyMs + fastest.idleMs);
}

test('biased local SGD on webgpu + 2 wasm passes 80% and beats sync on idle time', async ({ page }) => {
  await openTandem(page);
  const env = await page.evaluate(() => window.tandem.environment());
  expect(env.crossOriginIsolated).toBe(true);
  expect(env.adapter, 'a WebGPU adapter (SwiftShader without a GPU)').not.toBeNull();

  const biased = await page.evaluate(() =>
    window.tandem.run({
      algo: 'biased',
      workers: [
        { backend: 'webgpu', count: 1 },
        { backend: 'wasm', count: 2 },
      ],
      tauFast: 32,
      targetAccuracy: 0.8,
      // The whole test set, so reaching the target is the final accuracy.
      evalSamples: 10000,
      maxSeconds: 150,
      seed: 1,
    }),
  );
  expect(biased.stoppedBy).toBe('target');
  expect(biased.finalAccuracy).toBeGreaterThanOrEqual(0.8);

  const workers = await page.evaluate(() => window.tandem.workers());
  expect(workers.map((w) => [w.requested, w.backend, w.report.tfBackend])).toEqual([
    ['webgpu', 'webgpu', 'webgpu'],
    ['wasm', 'wasm', 'wasm'],
    ['wasm', 'wasm', 'wasm'],
  ]);
  expect(workers[0]?.report.adapter?.architecture).toBeTruthy();
  expect(workers[1]?.report.wasm?.simd).toBe(true);
  expect(biased.workers.every((w) => w.steps > 0)).toBe(true);

  // Tensor counts in every worker stay flat from round to round.
  const events: RoundEvent[] = await page.evaluate(() => window.tandem.events());
  expect(events.length).toBeGreaterThanOrEqual(2);
  for (const id of [0, 1, 2]) {
    const counts = events.map((e) => e.workers.find((w) => w.id === id)?.tensors);
    expect(new Set(counts).size, `worker ${id} tensors per round: ${counts.join(',')}`).toBe(1);
  }

  const sync = await page.evaluate(() =>
    window.tandem.run({
      algo: 'sync',
      workers: 'webgpu:1,wasm:2' as never,
      tauFast: 4,
      maxRounds: 2,
      evalSamples: 500,
      seed: 1,
    }),
  );
  expect(sync.rounds).toBe(2);
  expect(idleShareOfFastest(sync)).toBeGreaterThan(idleShareOfFastest(biased));
});

test('a bad config is rejected with an error naming the key', async ({ page }) => {
  await openTandem(page);
  const message = await page.evaluate(() =>
    window.tandem.run({ tauFast: 0 }).then(
      () => 'resolved',
      (e: Error) => e.message,
    ),
  );
  expect(message).toContain('tauFast');
  expect(message).toContain('0');
  const unknown = await page.evaluate(() =>
    window.tandem.run({ tauFats: 4 } as never).then(
      () => 'resolved',
      (e: Error) => e.message,
    ),
  );
  expect(unknown).toContain('tauFats');
});
