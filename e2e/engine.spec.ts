/**
 * The engine end to end in headless Chromium on the WebGPU adapter (SwiftShader
 * here): a biased run on 1 webgpu + 2 wasm workers learns Fashion-MNIST, every
 * worker runs the backend it was given, and tensors do not leak. On the same
 * pool and settings, synchronous SGD makes every worker take every step
 * together (the fast one waits) while biased local SGD lets the fast one run
 * ahead; and sync really trains one model, step by step, across workers.
 */
import { expect, test, type Page } from '@playwright/test';
import { IDX_FILES, IDX_TEST_IMAGES, IDX_TEST_LABELS, IDX_TRAIN_IMAGES, IDX_TRAIN_LABELS, encodeIdx } from '../src/data/idx';
import type { RoundEvent, RunResult } from '../src/protocol';
import { runOne } from '../src/bench/browser-runs';
import { exportedCheckpoint, openTandem } from './helpers';

test.describe.configure({ mode: 'serial' });

type ResultWorker = RunResult['workers'][number];

/** The worker with the smallest step-time estimate: the fast one, by measurement. */
function fastest(result: RunResult): ResultWorker {
  return result.workers.reduce((a, b) => (b.stepMs < a.stepMs ? b : a));
}

function slowest(result: RunResult): ResultWorker {
  return result.workers.reduce((a, b) => (b.stepMs > a.stepMs ? b : a));
}

function idleShare(w: ResultWorker): number {
  return w.idleMs / (w.busyMs + w.idleMs);
}

test('biased local SGD on webgpu + 2 wasm passes 85% on the backends asked for, without leaking tensors', async ({ page }) => {
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
      // Every worker trains: this is about the backends asked for, not whether the pool would park one.
      parking: 'off',
      // 85%, not 80%: rounds the WASM workers fill while SwiftShader steps can pass 80% in the first one,
      // and the tensor counts below need two rounds to compare.
      targetAccuracy: 0.85,
      // The whole test set, so reaching the target is the final accuracy.
      evalSamples: 10000,
      maxSeconds: 150,
      seed: 1,
    }),
  );
  expect(biased.stoppedBy).toBe('target');
  expect(biased.finalAccuracy).toBeGreaterThanOrEqual(0.85);

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
});

test('on the same pool and settings, sync makes every worker take every step and the fast one wait; biased lets it run ahead', async ({ page }) => {
  await openTandem(page);
  const tauFast = 32;
  const rounds = 2;
  const same = { workers: 'webgpu:1,wasm:2', parking: 'off', tauFast, maxRounds: rounds, evalSamples: 500, seed: 1 };
  const runAndEvents = (algo: 'sync' | 'biased') =>
    page.evaluate(async (config) => {
      const result = await window.tandem.run(config as never);
      return { result, events: window.tandem.events() };
    }, { ...same, algo });

  const sync = await runAndEvents('sync');
  expect(sync.result.rounds).toBe(rounds);
  expect(sync.events).toHaveLength(rounds);
  for (const e of sync.events) {
    // Every step is one step of every worker: tauFast each, no more, no fewer.
    expect(e.workers.map((w) => w.steps), `round ${e.round}`).toEqual([tauFast, tauFast, tauFast]);
  }
  expect(sync.result.workers.map((w) => w.steps)).toEqual([rounds * tauFast, rounds * tauFast, rounds * tauFast]);
  // The fast worker waits for the slow one at every step: most of its time is idle.
  const syncFast = fastest(sync.result);
  expect(syncFast.id).not.toBe(slowest(sync.result).id);
  expect(idleShare(syncFast), `fast worker ${syncFast.id} (${syncFast.backend})`).toBeGreaterThan(0.5);

  const biased = await runAndEvents('biased');
  expect(biased.result.rounds).toBe(rounds);
  const fast = fastest(biased.result);
  const slow = slowest(biased.result);
  for (const e of biased.events) {
    const steps = (id: number) => e.workers.find((w) => w.id === id)?.steps ?? Number.NaN;
    expect(steps(fast.id), `round ${e.round}: fast worker ${fast.id} vs slow worker ${slow.id}`).toBeGreaterThan(steps(slow.id));
  }
  expect(idleShare(fast)).toBeLessThan(idleShare(syncFast));
});

/** Serves an IDX dataset whose images are all the same, labels alternating 0, 1, under `path`. */
async function serveUniformIdx(page: Page, path: string, trainSize: number, testSize: number): Promise<void> {
  const [h, w] = [28, 28];
  const files = new Map<string, Uint8Array>([
    [IDX_TRAIN_IMAGES, encodeIdx([trainSize, h, w], new Uint8Array(trainSize * h * w).fill(128))],
    [IDX_TRAIN_LABELS, encodeIdx([trainSize], Uint8Array.from({ length: trainSize }, (_, i) => i % 2))],
    [IDX_TEST_IMAGES, encodeIdx([testSize, h, w], new Uint8Array(testSize * h * w).fill(128))],
    [IDX_TEST_LABELS, encodeIdx([testSize], Uint8Array.from({ length: testSize }, (_, i) => i % 2))],
  ]);
  expect([...files.keys()].sort()).toEqual([...IDX_FILES].sort());
  await page.route(`**${path}*`, async (route) => {
    const name = new URL(route.request().url()).pathname.slice(path.length);
    const body = files.get(name);
    await (body
      ? route.fulfill({ status: 200, contentType: 'application/octet-stream', body: Buffer.from(body) })
      : route.fulfill({ status: 404, body: '' }));
  });
}

/** How many different values `values` holds, counting values within a relative 1e-5 of each other as one. */
function distinctValues(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.filter((v, i) => i === 0 || v - (sorted[i - 1] ?? v) > 1e-5 * Math.max(1, Math.abs(v))).length;
}

test('sync trains one model across workers: a step’s losses all come from the same model', async ({ page }) => {
  // Every image is the same, so a sample's recorded loss depends only on its
  // label and the model it was recorded at. Under sync every worker holds the
  // same model at every step, so one round leaves at most tauFast losses per
  // label; local SGD's workers drift apart after their first step and leave more.
  const trainSize = 256;
  await serveUniformIdx(page, '/e2e-uniform/', trainSize, 64);
  await openTandem(page);
  const tauFast = 4;
  const batchSize = 8;
  const config = {
    dataset: 'idx:/e2e-uniform/',
    model: 'cnn',
    augmentation: 'off',
    workers: 'wasm:2',
    // Both workers train: this is about what sync's steps share, not whether the pool would park one.
    parking: 'off',
    batchSize,
    tauFast,
    maxRounds: 1,
    evalSamples: 64,
    seed: 1,
  };
  const lossesPerLabel = async (algo: 'sync' | 'local') => {
    const result = await page.evaluate((c) => window.tandem.run(c as never), { ...config, algo });
    expect(result.rounds).toBe(1);
    const { losses } = await exportedCheckpoint(page);
    expect(losses).toHaveLength(trainSize);
    const seen = [...losses.entries()].filter(([, l]) => l !== Number.POSITIVE_INFINITY);
    expect(seen, `${algo}: samples seen`).toHaveLength(2 * tauFast * batchSize);
    return [0, 1].map((label) => seen.filter(([i]) => i % 2 === label).map(([, l]) => l));
  };

  for (const [label, losses] of (await lossesPerLabel('sync')).entries()) {
    expect(distinctValues(losses), `sync, label ${label}: ${losses.join(', ')}`).toBeLessThanOrEqual(tauFast);
  }
  // The check can tell: local SGD on the same data leaves more than one model per step.
  const local = await lossesPerLabel('local');
  expect(Math.max(...local.map(distinctValues)), `local: ${local.flat().join(', ')}`).toBeGreaterThan(tauFast);
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

test('a benchmark run starts on a page that keeps no earlier run: after two, the page keeps only the latest', async ({ page }) => {
  await openTandem(page);
  const config = { algo: 'fast-only' as const, workers: [{ backend: 'wasm' as const, count: 1 }], parking: 'off' as const, tauFast: 4, maxRounds: 2, evalSamples: 500 };
  for (const seed of [1, 2]) {
    const outcome = await runOne(page, { ...config, seed }, new AbortController().signal);
    expect(outcome.failure).toBeNull();
    expect(outcome.result?.config.seed).toBe(seed);
  }
  expect(await page.evaluate(() => window.tandem.runs().map((r) => r.config.seed))).toEqual([2]);
});
