/**
 * A stop, the time limit and faults that come at awkward moments, in the
 * browser: a worker slowed 1000x stops at once, in profiling and in the
 * middle of a round; a worker removed or losing its WebGPU device while
 * profiling leaves and the run goes on; a round where every model is NaN
 * stops the run with the last good model saved.
 */
import { expect, test, type Page } from '@playwright/test';
import type { RunResult } from '../src/protocol';
import { exportedCheckpoint, openTandem } from './helpers';

test.describe.configure({ mode: 'serial' });

function startRun(page: Page, config: Record<string, unknown>): Promise<RunResult> {
  return page.evaluate((c) => window.tandem.run(c as never), config);
}

/** Resolves once the page says `phase`. */
async function untilPhase(page: Page, phase: string): Promise<void> {
  await page.waitForFunction((p) => window.tandem.phase() === p, phase, { polling: 10, timeout: 120_000 });
}

/**
 * The run's result, or 'still running' when it has not ended `withinMs` after
 * the stop: the worker's steps would take minutes (far longer than this) had
 * the stop waited for them.
 */
function endedWithin(run: Promise<RunResult>, withinMs: number): Promise<RunResult | 'still running'> {
  return Promise.race([run, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), withinMs))]);
}

test('a worker slowed 1000x stops at once: in profiling, in the middle of a round, and at the time limit', async ({ page }) => {
  await openTandem(page);

  // Profiling: 7 steps of ~10 ms each, slept 1000x, is over a minute.
  const profiling = startRun(page, { workers: 'wasm:2', parking: 'off', slowdown: '1:1000', maxRounds: 3 });
  await untilPhase(page, 'profiling');
  await page.waitForTimeout(500);
  await page.evaluate(() => window.tandem.stop());
  // The phases from the stop to the end, polled in the page.
  const after = page.evaluate(async () => {
    const seen: string[] = [];
    for (;;) {
      const p = window.tandem.phase();
      if (seen.at(-1) !== p) seen.push(p);
      if (p === 'done' || p === 'failed') return seen;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });
  const a = await endedWithin(profiling, 15_000);
  expect(a).not.toBe('still running');
  if (a === 'still running') return;
  expect(a.stoppedBy).toBe('user');
  expect(a.rounds).toBe(0);
  expect(await after).not.toContain('training');

  // Mid-round: from round 2 worker 1's every step sleeps 1000x its time (10 s a step); its budget was set before.
  const midRound = startRun(page, { workers: 'wasm:2', parking: 'off', slowdown: '1:1000@2', adaptiveBudgets: false, maxRounds: 5 });
  await expect.poll(() => page.evaluate(() => window.tandem.events().length), { timeout: 120_000 }).toBeGreaterThanOrEqual(1);
  await page.waitForTimeout(1000);
  await page.evaluate(() => window.tandem.stop());
  const b = await endedWithin(midRound, 15_000);
  expect(b).not.toBe('still running');
  if (b === 'still running') return;
  expect(b.stoppedBy).toBe('user');
  const last = await page.evaluate(() => window.tandem.events().at(-1));
  expect(last?.round).toBe(2);
  const slow = last?.workers.find((w) => w.id === 1);
  expect(slow?.steps ?? Infinity).toBeLessThan(slow?.tau ?? 0);
  expect(Number.isFinite(b.finalAccuracy ?? Number.NaN)).toBe(true);

  // The time limit cuts the same round short by itself.
  const limited = startRun(page, { workers: 'wasm:2', parking: 'off', slowdown: '1:1000@2', adaptiveBudgets: false, maxRounds: 5, maxSeconds: 4 });
  const c = await endedWithin(limited, 60_000);
  expect(c).not.toBe('still running');
  if (c === 'still running') return;
  expect(c.stoppedBy).toBe('time');
  expect(c.rounds).toBeLessThanOrEqual(2);
});

test('a worker removed, or losing its WebGPU device, while profiling leaves; the run goes on with the others', async ({ page }) => {
  await openTandem(page);
  // Slowed so profiling lasts long enough to act in it.
  const removed = startRun(page, { workers: 'wasm:3', parking: 'off', slowdown: '1:20,2:20', maxRounds: 2, evalSamples: 500 });
  await untilPhase(page, 'profiling');
  expect(await page.evaluate(() => window.tandem.workers().map((w) => w.id))).toEqual([0, 1, 2]);
  await page.evaluate(() => window.tandem.removeWorker(1));
  const a = await removed;
  expect(a.stoppedBy).toBe('rounds');
  expect(a.workers.find((w) => w.id === 1)?.left).toMatch(/removed by request/);
  expect(a.history.flatMap((h) => h.notes ?? []).join('\n')).toMatch(/worker 1 \(wasm\) left: removed by request/);

  const lost = startRun(page, { workers: 'webgpu:1,wasm:1', parking: 'off', maxRounds: 2, evalSamples: 500 });
  await untilPhase(page, 'profiling');
  await page.evaluate(() => window.tandem.diagnostics.simulateDeviceLoss(0));
  const b = await lost;
  expect(b.stoppedBy).toBe('rounds');
  const left = b.workers.find((w) => w.id === 0)?.left ?? '';
  // Named as a device loss first, whatever the call in progress failed with.
  expect(left).toMatch(/^WebGPU device lost/);
});

test('a round where every worker’s model is NaN stops the run as diverged; the saved model is the last good one', async ({ page }) => {
  await openTandem(page);
  const running = startRun(page, { workers: 'wasm:2', parking: 'off', maxRounds: 6, checkpointEvery: 1, evalSamples: 500 });
  await expect.poll(() => page.evaluate(() => window.tandem.events().length), { timeout: 120_000 }).toBeGreaterThanOrEqual(2);
  await page.evaluate(async () => {
    for (const w of window.tandem.workers()) await window.tandem.diagnostics.injectNaN(w.id);
  });
  const r = await running;
  expect(r.stoppedBy).toBe('diverged');
  expect(r.message).toMatch(/loss is NaN/);
  const saved = await exportedCheckpoint(page);
  expect(saved.round).toBe(r.rounds - 1);
  expect(saved.theta.every(Number.isFinite)).toBe(true);
  expect(saved.losses.every((l) => !Number.isNaN(l))).toBe(true);
  const newest = await page.evaluate(() => window.tandem.savedCheckpoint());
  expect(newest?.round).toBe(r.rounds - 1);
});
